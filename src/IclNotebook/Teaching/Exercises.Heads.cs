using System.Globalization;
using System.Text.RegularExpressions;

namespace IclNotebook.Teaching;

public static partial class Exercises
{
    /// <summary>
    /// Exercise 7, reading the five panels: which head restores the clean answer most through its <b>Value</b> input (the
    /// largest cell of the Value panel)? Answer as TransformerLens labels heads: <c>"L1H3"</c>.
    /// </summary>
    public static ExerciseCheck CheckValueHead(string? head) => Record(ValueHead(head));

    private static ExerciseCheck ValueHead(string? answer)
    {
        const string name = PanelsExercise;
        if (string.IsNullOrWhiteSpace(answer)) return ExerciseCheck.NotDone(name);
        var toy = ExerciseToy.Instance;
        var panels = toy.Heads;
        var cfg = toy.Model.Config;
        if (ParseHead(answer) is not var (layer, head) || layer >= cfg.NLayers || head >= cfg.NHeads)
            return ExerciseCheck.Wrong(name, $"\"{answer}\" is not a head of this model: write L{{layer}}H{{head}}, counting from 0 " +
                $"(L0H0 .. L{cfg.NLayers - 1}H{cfg.NHeads - 1}).");
        var names = panels.Labels[0];
        double Cell(int panel, int l, int h) => panels.Normalised[panels.Flat([panel, l, h])];
        (int L, int H) Top(int panel) => HeadsOf(cfg).MaxBy(x => Cell(panel, x.L, x.H));
        int value = IndexOf(names, "Value");
        var want = Top(value);
        if ((layer, head) == want)
            return ExerciseCheck.Right(name, string.Create(CultureInfo.InvariantCulture,
                $"L{layer}H{head} leads the Value panel ({Cell(value, layer, head):F3}): what it reads from the labels is what the swap changed."));
        if ((head, layer) == want) return ExerciseCheck.Wrong(name, $"layer and head are swapped: L{layer}H{head} is layer {layer}, head {head}.");
        if (HeadsOf(cfg).MinBy(x => Cell(value, x.L, x.H)) == (layer, head) && Cell(value, layer, head) < 0)
            return ExerciseCheck.Wrong(name, "that is the most negative cell: patching it pushes the answer further from the clean one. " +
                "The question asks for the largest restoration.");
        foreach (var panel in Enumerable.Range(0, names.Count).Where(p => p != value))
            if (Top(panel) == (layer, head))
                return ExerciseCheck.Wrong(name, $"L{layer}H{head} leads the {names[panel]} panel, not Value: check which panel you read.");
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"L{layer}H{head} restores {Cell(value, layer, head):F3} through Value; another head restores more."));
    }

    /// <summary>
    /// Exercise 8, on the clean prompts' attention patterns: the <paramref name="previousToken"/> head (the highest mean
    /// attention from each position to the one before it) and the <paramref name="induction"/> head (the highest mean
    /// attention from the query, the last token, to the label of the demonstration the query asks), as <c>"L0H1"</c>.
    /// </summary>
    public static ExerciseCheck CheckCircuitHeads(string? previousToken, string? induction) => Record(CircuitHeads(previousToken, induction));

    private static ExerciseCheck CircuitHeads(string? previousToken, string? induction)
    {
        const string name = CircuitExercise;
        if (string.IsNullOrWhiteSpace(previousToken) || string.IsNullOrWhiteSpace(induction)) return ExerciseCheck.NotDone(name);
        var toy = ExerciseToy.Instance;
        var cfg = toy.Model.Config;
        if (ParseHead(previousToken) is not var (pl, ph) || pl >= cfg.NLayers || ph >= cfg.NHeads)
            return ExerciseCheck.Wrong(name, $"\"{previousToken}\" is not a head of this model: write L{{layer}}H{{head}}, counting from 0.");
        if (ParseHead(induction) is not var (il, ih) || il >= cfg.NLayers || ih >= cfg.NHeads)
            return ExerciseCheck.Wrong(name, $"\"{induction}\" is not a head of this model: write L{{layer}}H{{head}}, counting from 0.");
        var prevScores = toy.PreviousTokenScores;
        var labelScores = toy.QueryToLabelAttention;
        var wantPrev = HeadsOf(cfg).MaxBy(x => prevScores[x.L][x.H]);
        var wantInduction = HeadsOf(cfg).MaxBy(x => labelScores[x.L][x.H]);
        static string Scores(IReadOnlyList<IReadOnlyList<double>> s, int l, int h) => string.Create(CultureInfo.InvariantCulture, $"L{l}H{h} scores {s[l][h]:F2}");
        if ((pl, ph) == wantPrev && (il, ih) == wantInduction)
            return ExerciseCheck.Right(name, string.Create(CultureInfo.InvariantCulture,
                $"previous-token head L{pl}H{ph} ({prevScores[pl][ph]:F2} of its attention one token back) and induction head L{il}H{ih} " +
                $"({labelScores[il][ih]:F2} from the query to the asked label): the circuit of section 9 of the walkthrough."));
        if ((pl, ph) == wantInduction && (il, ih) == wantPrev) return ExerciseCheck.Wrong(name, "the two heads are swapped.");
        if ((pl, ph) != wantPrev)
            return ExerciseCheck.Wrong(name, pl > wantPrev.L
                ? $"L{pl}H{ph} is in a later layer than the previous-token head: {Scores(prevScores, pl, ph)} one token back. " +
                  "Average pattern[p, p - 1] over every position p of every prompt, head by head, in every layer."
                : $"{Scores(prevScores, pl, ph)} of its attention one token back (pattern[p, p - 1] averaged over positions); another head scores more.");
        return ExerciseCheck.Wrong(name, il <= wantPrev.L
            ? $"L{il}H{ih} is not after the previous-token head: an induction head reads what the previous-token head wrote at each " +
              $"label, so it sits in a later layer ({Scores(labelScores, il, ih)} from the query to the asked label)."
            : $"{Scores(labelScores, il, ih)} from the query to the asked label; another head scores more. Read the pattern at the query's " +
              "row (the last real token) and the asked demonstration's label's column, averaged over the prompts.");
    }

    private static (int Layer, int Head)? ParseHead(string answer) =>
        HeadLabel().Match(answer.Trim()) is { Success: true } m
            ? (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;

    private static IEnumerable<(int L, int H)> HeadsOf(Model.ModelConfig cfg) =>
        Enumerable.Range(0, cfg.NLayers).SelectMany(l => Enumerable.Range(0, cfg.NHeads).Select(h => (l, h)));

    private static int IndexOf(IReadOnlyList<string> labels, string label) =>
        labels.Select((l, i) => (l, i)).First(x => x.l == label).i;

    [GeneratedRegex(@"^[Ll](\d{1,3})[Hh](\d{1,3})$")]
    private static partial Regex HeadLabel();
}
