using System.Text.Json;

namespace IclNotebook.Tests.Cli;

/// <summary>`icl circuit` end to end on the shipped toy model, as a real process.</summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class CircuitCommandTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-circuit");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Circuit_writes_the_graph_the_rankings_and_their_faithfulness()
    {
        var outDir = _dir["circuit"];
        var outcome = IclProcess.Run(["circuit", "--model", "toy-icl-2l", "--task", "data/tasks/associative-recall.json", "--top-k", "12",
            "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        foreach (var file in new[] { "results.json", "report.html", "circuit.html", "faithfulness.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal("icl-circuit", root.GetProperty("kind").GetString());
        Assert.Equal(1 + 2 * 5, root.GetProperty("senders").GetArrayLength());                     // embed, 2 x (4 heads + MLP)
        Assert.Equal(2 * 13 + 1, root.GetProperty("receivers").GetArrayLength());                  // 2 x (12 head inputs + MLP) + logits
        var circuit = root.GetProperty("circuit");
        Assert.Equal("path patching", circuit.GetProperty("ranking").GetString());
        var edges = circuit.GetProperty("edges").EnumerateArray().ToArray();
        Assert.Equal(12, edges.Length);
        // The label heads' value edge into the induction head is in the circuit (measured 0.385, fifth).
        Assert.Contains(edges, e => e.GetProperty("sender").GetString() == "L0H2" && e.GetProperty("receiver").GetString() == "L1H0.v");
        var rankings = root.GetProperty("rankings").EnumerateArray().ToArray();
        Assert.Equal(["path patching", "EAP-IG (10 steps)", "EAP"], rankings.Select(r => r.GetProperty("method").GetString()));
        Assert.True(rankings[2].GetProperty("pearsonToExact").GetDouble() > 0.85);
        var curve = rankings[0].GetProperty("faithfulness").EnumerateArray().ToArray();
        Assert.Equal(1.0, curve[^1].GetProperty("faithfulness").GetDouble(), 4);
        Assert.Contains(curve, p => p.GetProperty("edges").GetInt32() == 12);

        var bad = IclProcess.Run(["circuit", "--model", "toy-icl-2l", "--task", "data/tasks/associative-recall.json", "--ig-steps", "0",
            "--out", _dir["bad"]]);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.False(Directory.Exists(_dir["bad"]), "nothing is written when the input is refused");
    }
}
