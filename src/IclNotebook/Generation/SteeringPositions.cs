using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Generation;

/// <summary>
/// Which tokens a steering hook acts on, by real position (the first real token of a prompt is position 0, padding
/// aside): every token, the prompt's last, each generated one, or given positions. During generation "generated" means
/// the tokens fed back after the prompt; in a plain forward every token is the prompt's.
/// </summary>
public sealed class SteeringPositions
{
    private readonly Func<Tensor, Tensor, Tensor> _select;

    private SteeringPositions(string description, Func<Tensor, Tensor, Tensor> select) => (Description, _select) = (description, select);

    /// <summary>What the positions are, in words (for reports).</summary>
    public string Description { get; }

    /// <summary>Every real token, the prompt's and the generated ones.</summary>
    public static SteeringPositions All { get; } = new("every token", (p, _) => p.ge(HeldScalars.Whole(0)));

    /// <summary>The prompt's last token only (where a task vector is patched, Hendel et al. 2023).</summary>
    public static SteeringPositions PromptEnd { get; } = new("the prompt's last token", (p, n) => p.eq(n.unsqueeze(1).sub(HeldScalars.Whole(1))));

    /// <summary>Each generated token only (the tokens fed back after the prompt).</summary>
    public static SteeringPositions Generated { get; } = new("each generated token", (p, n) => p.ge(n.unsqueeze(1)));

    /// <summary>
    /// The prompt's last token and each generated one: where a function vector is added during generation (Todd et al.
    /// 2024 add it to the last token of every forward).
    /// </summary>
    public static SteeringPositions PromptEndAndGenerated { get; } =
        new("the prompt's last token and each generated token", (p, n) => p.ge(n.unsqueeze(1).sub(HeldScalars.Whole(1))));

    /// <summary>These real positions of every prompt (0 is the first token, BOS where the family prepends one).</summary>
    public static SteeringPositions At(params int[] positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (positions.Length == 0 || positions.Any(p => p < 0))
            throw new IclException("Steering positions must be one or more non-negative positions (0 is a prompt's first token).");
        var chosen = positions.Distinct().Order().ToArray();
        return new($"positions {string.Join(", ", chosen)}", (p, _) =>
        {
            using var wanted = tensor(chosen.Select(x => (long)x).ToArray(), device: p.device);
            return p.unsqueeze(-1).eq(wanted).any(-1);
        });
    }

    /// <summary>Which tokens are chosen, bool [batch, pos], from their positions [batch, pos] and the prompt lengths [batch].</summary>
    internal Tensor Select(Tensor positions, Tensor promptLengths) =>
        _select(positions, promptLengths).logical_and(positions.ge(HeldScalars.Whole(0)));

    public override string ToString() => Description;
}
