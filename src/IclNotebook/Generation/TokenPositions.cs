using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Generation;

/// <summary>
/// Where the tokens of the forward now running sit, for hooks that act by position (<see cref="Steering"/>): each token's
/// real position (the first real token of its row is 0; a pad is -1), each row's prompt length (positions from it on were
/// generated), and the first row's index among all the prompts generated (batches are chunks of them). Set by generation
/// for each forward; a plain forward has none (every row's tokens are then its prompt, at 0, 1, 2, ...).
/// </summary>
/// <param name="Positions">int64 [batch, pos]</param>
/// <param name="PromptLengths">int64 [batch]</param>
/// <param name="FirstRow">The index of row 0 among all the prompts.</param>
internal sealed record TokenPositions(Tensor Positions, Tensor PromptLengths, int FirstRow)
{
    /// <summary>A plain forward's: rows of <paramref name="length"/> tokens at 0 .. length - 1, all prompt.</summary>
    public static TokenPositions Plain(long batch, long length, Device device) => new(
        HeldScalars.Range(0, length, device).unsqueeze(0).expand(batch, -1),
        tensor(Enumerable.Repeat(length, (int)batch).ToArray(), device: device), 0);
}
