using System.CommandLine;
using IclNotebook.Circuits;
using IclNotebook.Metrics;
using IclNotebook.Patching;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl circuit</c>: exact path patching over the graph of heads and MLPs, edge attribution, and the circuit they find.</summary>
internal static class CircuitCommand
{
    public static Command Create()
    {
        var study = new StudyCommand("circuit", needsTask: true);
        var d = new CircuitOptions();
        var topK = CliOptions.PositiveInt("--top-k", $"edges in the circuit drawn and reported (default {d.TopK})", d.TopK);
        var igSteps = CliOptions.PositiveInt("--ig-steps", $"EAP-IG's interpolation steps (default {d.IntegratedGradientSteps})",
            d.IntegratedGradientSteps);
        var estimateOnly = new Option<bool>("--estimate-only")
        {
            Description = "skip the exact path-patching grid (a sender-receiver forward each): rank by EAP-IG alone",
        };
        var engine = CliOptions.Choice("--engine", "engine", "the exact grid's engine: fast or reference (the same numbers, slowly)",
            OptionNames.Name(PatchEngineKind.Fast), [OptionNames.Name(PatchEngineKind.Fast), OptionNames.Name(PatchEngineKind.Reference)]);
        var read = CliOptions.Choice("--read", "read",
            "where the metric reads: each prompt's last real token, or the padded batch's last column (the Colab's read)",
            "last-token", OptionNames.All<MetricRead>());
        var replay = CliOptions.Choice("--replay", "replay",
            "how the corruption is applied: every label at once, or the Colab's sequential str.replace loop (label-map only)",
            "simultaneous", OptionNames.All<Icl.CorruptionReplay>());
        var colabExact = new Option<bool>("--colab-exact") { Description = "the original notebook's two quirks: --read last-column and --replay sequential" };
        var command = study.Create("""
            Circuits: exact path patching of every sender (token embeddings, heads, MLPs) into every receiver (each
            head's query, key and value input, each MLP's input, the logits) for the task's clean and corrupted
            prompts; edge attribution (EAP and EAP-IG) with its Pearson r against the exact grid; and how faithful
            each ranking's top-k circuits are (the clean prompts with every other edge at its corrupted value).
            Components are named as TransformerLens labels them (L1H0, 5_mlp_out). Writes results.json,
            report.html and the figures circuit and faithfulness.
            """, topK, igSteps, estimateOnly, engine, read, replay, colabExact);
        command.SetAction((parse, ct) =>
        {
            var options = new CircuitOptions
            {
                TopK = parse.GetValue(topK),
                IntegratedGradientSteps = parse.GetValue(igSteps),
                Exact = !parse.GetValue(estimateOnly),
                Engine = OptionNames.Parse<PatchEngineKind>(parse.GetValue(engine)!),
            }.Validate();
            var studyOptions = study.Options(parse) with
            {
                ColabExact = parse.GetValue(colabExact),
                Read = parse.GetResult(read) is { Implicit: false } ? OptionNames.Parse<MetricRead>(parse.GetValue(read)!) : null,
                Replay = parse.GetResult(replay) is { Implicit: false } ? OptionNames.Parse<Icl.CorruptionReplay>(parse.GetValue(replay)!) : null,
            };
            return study.RunAsync(parse, (o, progress) => CircuitStudy.RunAsync(o, options, progress, ct),
                (run, folder, force, warnings) => CircuitReport.Write(run, folder, force, IclCommandLine.Version, warnings), studyOptions, ct: ct);
        });
        return command;
    }
}
