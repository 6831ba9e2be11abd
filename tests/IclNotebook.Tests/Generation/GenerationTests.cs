using IclNotebook.Generation;
using IclNotebook.Hooks;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Generation;

/// <summary>Generation with the key/value cache against the reference (a whole forward per step), on every family's shape.</summary>
public class GenerationTests
{
    // Three prompts of different lengths over a 97-token vocabulary (the random models').
    private static readonly int[][] Prompts = [[5, 17, 3], [40, 2, 96, 11, 8, 60, 23], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]];

    public static TheoryData<string> Families => ["gpt2", "neox", "llama", "gptj", "qwen3", "gemma2", "windowed", "olmo2"];

    [Theory]
    [MemberData(nameof(Families))]
    public void The_cache_generates_what_a_whole_forward_per_step_does(string family)
    {
        using var model = RandomModels.Create(11, layers: 2, heads: 4, family);
        var options = new GenerationOptions { MaxNewTokens = 10, KeepLogits = true, BatchSize = 3 };
        var cached = model.Generate(Prompts, options);
        var reference = model.Generate(Prompts, options with { UseCache = false });
        for (int r = 0; r < Prompts.Length; r++)
        {
            Assert.Equal(reference[r].Tokens, cached[r].Tokens);
            Assert.Equal(10, cached[r].Tokens.Length);
            Assert.Equal(CompletionEnd.TokenBudget, cached[r].End);
            for (int s = 0; s < 10; s++)
                Close(reference[r].StepLogits![s], cached[r].StepLogits![s], $"{family} prompt {r} step {s}");
        }
        Assert.True(cached.SelectMany(c => c.Tokens).Distinct().Count() > 3, "a random model should not repeat one token everywhere");
    }

    [Fact]
    public void A_prompt_generates_the_same_alone_as_in_a_left_padded_batch()
    {
        using var model = RandomModels.Create(12, layers: 2, heads: 4, "llama");
        var options = new GenerationOptions { MaxNewTokens = 8, KeepLogits = true };
        var batched = model.Generate(Prompts, options);
        for (int r = 0; r < Prompts.Length; r++)
        {
            var alone = model.Generate([Prompts[r]], options)[0];
            Assert.Equal(alone.Tokens, batched[r].Tokens);
            Close(alone.StepLogits![7], batched[r].StepLogits![7], $"prompt {r}");
        }
    }

    [Fact]
    public void Hooks_see_the_whole_prompt_once_then_one_position_per_step()
    {
        using var model = RandomModels.Create(13, layers: 2, heads: 4, "llama");
        var shapes = new List<long[]>();
        var patterns = new List<long[]>();
        using (model.Hooks((HookName.ResidPre(1), (act, _) => { shapes.Add(act.shape); return null; }),
                   (HookName.Pattern(0), (act, _) => { patterns.Add(act.shape); return null; })))
            model.Generate(Prompts, new GenerationOptions { MaxNewTokens = 4 });
        Assert.Equal([[3, 12, 32], [3, 1, 32], [3, 1, 32], [3, 1, 32]], shapes);
        Assert.Equal([[3, 4, 12, 12], [3, 4, 1, 13], [3, 4, 1, 14], [3, 4, 1, 15]], patterns);   // the new query sees every key so far
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("qwen3")]
    public void Zeroing_a_head_changes_the_text_as_it_does_in_whole_forwards(string family)
    {
        using var model = RandomModels.Create(14, layers: 2, heads: 4, family);
        var options = new GenerationOptions { MaxNewTokens = 10 };
        var plain = model.Generate(Prompts, options);
        Tensor? ZeroHead(Tensor z, HookPoint _)
        {
            var zeroed = z.clone();
            zeroed[.., .., 2].zero_();
            return zeroed;
        }
        IReadOnlyList<Completion> Ablated(bool cache)
        {
            using var scope = model.Hooks((HookName.Z(0), ZeroHead));
            return model.Generate(Prompts, options with { UseCache = cache });
        }
        var cached = Ablated(true);
        var reference = Ablated(false);
        Assert.Equal(reference.Select(c => c.Tokens), cached.Select(c => c.Tokens));
        Assert.NotEqual(plain.Select(c => c.Tokens), cached.Select(c => c.Tokens));     // the head mattered
    }

    [Fact]
    public void A_stop_token_ends_its_row_only()
    {
        using var model = RandomModels.Create(15, layers: 2, heads: 4, "gpt2");
        var free = model.Generate(Prompts, new GenerationOptions { MaxNewTokens = 10 });
        int stop = free[1].Tokens[3];
        int at = Array.IndexOf(free[1].Tokens, stop);
        var stopped = model.Generate(Prompts, new GenerationOptions { MaxNewTokens = 10, StopTokens = [stop] });
        Assert.Equal(free[1].Tokens[..(at + 1)], stopped[1].Tokens);
        Assert.Equal(CompletionEnd.StopToken, stopped[1].End);
        for (int r = 0; r < Prompts.Length; r++)
        {
            int first = Array.IndexOf(free[r].Tokens, stop);
            Assert.Equal(first < 0 ? free[r].Tokens : free[r].Tokens[..(first + 1)], stopped[r].Tokens);
        }
    }

    /// <summary>
    /// Within 1e-5 of the step's logit scale (its largest |logit|, at least 1): the cache's attention runs other float32
    /// kernels (a masked one over cached keys) than a whole forward's (the causal one), so the sums round differently.
    /// </summary>
    private static void Close(float[] expected, float[] actual, string what)
    {
        double scale = Math.Max(1, expected.Max(v => Math.Abs((double)v)));
        TensorAssert.Close(expected.Select(v => (double)v).ToArray(), actual.Select(v => (double)v).ToArray(), 1e-5 * scale, what);
    }

    [Fact]
    public void Refuses_a_prompt_that_would_pass_the_context()
    {
        using var model = RandomModels.Create(16, layers: 1, heads: 2, "gpt2");
        var e = Assert.Throws<IclException>(() => model.Generate([Enumerable.Range(0, 30).ToArray()], new GenerationOptions { MaxNewTokens = 5 }));
        Assert.Contains("Prompt 0 is 30 tokens; with 5 new tokens it would pass", e.Message, StringComparison.Ordinal);
        using var untokenized = RandomModels.Create(16, layers: 1, heads: 2, "llama");
        var noText = Assert.Throws<IclException>(() => untokenized.Generate(Prompts, new GenerationOptions { StopStrings = ["\n"] }));
        Assert.Contains("has no tokenizer", noText.Message, StringComparison.Ordinal);
    }
}
