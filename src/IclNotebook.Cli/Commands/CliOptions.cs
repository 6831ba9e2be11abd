using System.CommandLine;
using System.CommandLine.Parsing;
using IclNotebook.Loading.Hub;
using IclNotebook.Model;

namespace IclNotebook.Cli.Commands;

/// <summary>
/// Options shared by several commands, and the typed-option helpers every command uses: a choice
/// among names (completed on Tab, an unknown value named with the valid ones), a positive integer.
/// </summary>
internal static class CliOptions
{
    /// <summary>The model names completion offers (any Hugging Face repository id or local folder is accepted too).</summary>
    public static IReadOnlyList<string> KnownModels => [.. ModelLocator.KnownModels.Keys, .. IclNotebook.Loading.ShippedModels.Names];

    /// <summary><c>--model M</c>, default gpt2; completes the known names.</summary>
    public static Option<string> Model()
    {
        var option = new Option<string>("--model")
        {
            Description = "a short name (gpt2, gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, pythia-14m ... pythia-12b[-deduped], " +
                "toy-icl-2l: the toy model shipped in data/models), " +
                "any Hugging Face repository id (EleutherAI/pythia-160m, Qwen/Qwen2.5-0.5B), or a folder with config.json + model.safetensors",
            DefaultValueFactory = _ => "gpt2",
            HelpName = "M",
        };
        option.CompletionSources.Add([.. KnownModels]);
        return option;
    }

    /// <summary><c>--revision R</c>, default main: the branch, tag or commit of a hub model.</summary>
    public static Option<string> Revision() => new("--revision")
    {
        Description = "branch, tag or commit of a hub model (e.g. step3000, one of Pythia's training checkpoints); ignored for a folder",
        DefaultValueFactory = _ => "main",
        HelpName = "R",
    };

    /// <summary>The HF_* environment's hub settings at the <c>--revision</c> given.</summary>
    public static HubOptions Hub(ParseResult parse, Option<string> revision) =>
        HubOptions.FromEnvironment() with { Revision = parse.GetValue(revision)! };

    /// <summary>A string option that accepts only <paramref name="names"/>; an unknown value reads "Unknown {what} 'x'. {What}s: a, b."</summary>
    public static Option<string> Choice(string name, string what, string description, string fallback, IReadOnlyList<string> names)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => fallback, HelpName = string.Join("|", names) };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!names.Contains(value, StringComparer.Ordinal))
                result.AddError($"Unknown {what} '{value}'. {char.ToUpperInvariant(what[0])}{what[1..]}s: {string.Join(", ", names)}.");
        });
        option.CompletionSources.Add([.. names]);
        return option;
    }

    /// <summary><c>--dtype</c>: the weights' dtype (read it with <c>OptionNames.Parse&lt;ModelDType&gt;</c>).</summary>
    public static Option<string> DType() => Choice("--dtype", "dtype",
        "the weights' dtype: float32 (the TransformerLens goldens' precision), or bfloat16 (faster where the CPU has bfloat16 " +
        "kernels, half the memory; norms, softmax, residual sums and logits stay float32); float16 needs a GPU",
        OptionNames.Name(ModelDType.Float32), OptionNames.All<ModelDType>());

    /// <summary>An int option that must be a positive integer when given; without <paramref name="fallback"/> an absent option reads 0.</summary>
    public static Option<int> PositiveInt(string name, string description, int? fallback, string helpName = "N")
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                var invariant = System.Globalization.CultureInfo.InvariantCulture;
                if (int.TryParse(text, System.Globalization.NumberStyles.None, invariant, out int value) && value > 0) return value;
                result.AddError($"{name} must be a positive integer, got '{text}'.");
                return 0;
            },
        };
        if (fallback is { } value) option.DefaultValueFactory = _ => value;
        return option;
    }

    /// <summary>A comma-separated list of distinct whole numbers of at least 0, e.g. <c>--shots 0,1,2,4,8</c>.</summary>
    public static Option<int[]> IntList(string name, string description, int[] fallback) => new(name)
    {
        Description = description,
        HelpName = "K,K,...",
        DefaultValueFactory = _ => fallback,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            var values = new List<int>();
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k))
                {
                    result.AddError($"{name} takes whole numbers separated by commas, e.g. 0,1,2,4,8; '{part}' is not one.");
                    return [];
                }
                values.Add(k);
            }
            if (values.Distinct().Count() != values.Count) result.AddError($"{name} lists a count twice ('{text}').");
            return values.ToArray();
        },
    };

    /// <summary>
    /// Adds a validator that runs <paramref name="check"/> on the value and turns its <see cref="IclException"/> into a parse
    /// error.
    /// </summary>
    public static Option<T> Check<T>(this Option<T> option, Action<T> check)
    {
        option.Validators.Add(result =>
        {
            try { check(result.GetValueOrDefault<T>()); }
            catch (IclException e) { result.AddError(e.Message); }
        });
        return option;
    }
}
