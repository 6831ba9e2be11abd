using System.Text.Json;

namespace IclNotebook.Tests.Cli;

/// <summary>
/// Bad input to the `icl` program: one line on stderr naming the problem (and the fix), a
/// non-zero exit code, never a stack trace.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class CliBadInputTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-cli");

    public void Dispose() => _dir.Dispose();

    private string Folder(string name, string? config, byte[]? weights)
    {
        var path = _dir[name];
        Directory.CreateDirectory(path);
        if (config is not null) File.WriteAllText(Path.Combine(path, "config.json"), config);
        if (weights is not null) File.WriteAllBytes(Path.Combine(path, "model.safetensors"), weights);
        return path;
    }

    private static string TinyConfig => File.ReadAllText(Path.Combine(Fixtures.TinyModel, "config.json"));

    public static TheoryData<string> Cases => new() { "unknown-model", "no-config", "no-weights", "unsupported-arch", "malformed-safetensors", "offline-no-cache", "too-long", "unknown-option", "missing-text" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_gives_one_clear_line_and_a_non_zero_exit(string name)
    {
        var (args, env, expected) = name switch
        {
            "unknown-model" => (Logits("gpt3"), null, "Unknown model 'gpt3'. Short names: gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, pythia-14m"),
            "no-config" => (Logits(Folder("a", null, [1])), null, "config.json"),
            "no-weights" => (Logits(Folder("b", TinyConfig, null)), null, "model.safetensors"),
            "unsupported-arch" => (Logits(Folder("c", TinyConfig.Replace("\"gpt2\"", "\"mamba\"", StringComparison.Ordinal), [1])), null, "unsupported architecture (model_type 'mamba'). Supported model types: gpt2, gpt_neox, gptj, llama, mistral, qwen2, qwen3, phi3"),
            "malformed-safetensors" => (Logits(Folder("d", TinyConfig, [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'x'])), null, "model.safetensors"),
            "offline-no-cache" => (Logits("gpt2"),
                new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = _dir["empty-cache"] }, "not in the cache"),
            "too-long" => (Logits(Fixtures.TinyModel, string.Concat(Enumerable.Repeat(" word", 300))), null, "longer than tiny-gpt2-a's context of 256 tokens"),
            "unknown-option" => (["logits", "--model", Fixtures.TinyModel, "--text", "x", "--tpo", "3"], null, "Unknown command, option or argument '--tpo'. Run 'icl logits --help'."),
            "missing-text" => (["logits", "--model", Fixtures.TinyModel], null, "Option '--text' is required. Run 'icl logits --help'."),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        var outcome = IclProcess.Run(args, env);
        Assert.NotEqual(0, outcome.ExitCode);
        var line = Assert.Single(outcome.ErrLines);
        Assert.StartsWith("icl: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_main_job_with_no_network_says_how_to_run_the_shipped_toy_model()
    {
        // The README's first command where the hub cannot be reached: an endpoint nothing listens on (every retry refused at once).
        var outcome = IclProcess.Run(["analyze", "--out", _dir["run"]], new Dictionary<string, string>
        {
            ["HF_ENDPOINT"] = "http://127.0.0.1:9",
            ["HF_HUB_CACHE"] = _dir["empty-cache"],
        });
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("try the toy model shipped with the kit: --model toy-icl-2l --task data/tasks/associative-recall.json", outcome.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir["run"]));
    }

    [Fact]
    public void Logits_json_gives_tokens_and_top_candidates()
    {
        var outcome = IclProcess.Run(["logits", "--model", Fixtures.TinyModel, "--text", "Hello world", "--top", "3", "--json"]);
        Assert.Equal(0, outcome.ExitCode);
        using var doc = JsonDocument.Parse(outcome.StdOut);
        Assert.Equal([50256, 15496, 995], doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
        var top = doc.RootElement.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(3, top.Length);
        Assert.True(top[0].GetProperty("logit").GetDouble() >= top[1].GetProperty("logit").GetDouble());
        Assert.True(top[0].GetProperty("logprob").GetDouble() < 0);
        Assert.False(string.IsNullOrEmpty(top[0].GetProperty("token").GetString()));
    }

    [Fact]
    public void Logits_lists_the_rows_of_a_padded_vocabulary_that_no_token_names()
    {
        // tiny-neox-a has Pythia's padded embedding: 50,304 rows, 50,258 of them named by its tokenizer.
        string model = Path.Combine(Fixtures.Root, "models", "tiny-neox-a");
        var outcome = IclProcess.Run(["logits", "--model", model, "--text", "Hello", "--top", "50304", "--json"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        using var doc = JsonDocument.Parse(outcome.StdOut);
        var top = doc.RootElement.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(50304, top.Length);
        var unnamed = top.Where(t => t.GetProperty("id").GetInt32() >= 50258).ToArray();
        Assert.Equal(50304 - 50258, unnamed.Length);
        Assert.All(unnamed, t => Assert.Equal("", t.GetProperty("token").GetString()));
    }

    private static string[] Logits(string model, string text = "Hello") => ["logits", "--model", model, "--text", text];
}
