using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Generation;

/// <summary>
/// Steering as hook scopes: add a vector to (or write it over) an activation at chosen token positions, in plain forwards
/// and at every step of <see cref="HookedTransformer.Generate(IEnumerable{string}, GenerationOptions?)"/>, until the scope is
/// disposed. A function vector added to <c>hook_resid_post</c> of a layer, a task vector written over <c>hook_resid_pre</c>
/// at the prompt's end, a direction scaled into every generated token are each one call.
/// </summary>
public static class Steering
{
    /// <summary>
    /// Adds <paramref name="scale"/> · <paramref name="vector"/> to <paramref name="hook"/>'s activation at
    /// <paramref name="at"/>. The vector has the activation's shape past [batch, pos] (d_model for the residual stream,
    /// [head, d_head] for hook_z), or one such row per prompt ([prompts, ...]; row i for prompt i of a generation).
    /// </summary>
    public static HookScope Steer(this HookedTransformer model, string hook, Tensor vector, SteeringPositions at, double scale = 1) =>
        Attach(model, hook, vector, at, (act, mask, v) => act.Plus(mask.to(act.dtype).mul(v.mul(HeldScalars.Of(scale)))));

    /// <summary>
    /// Writes <paramref name="vector"/> over <paramref name="hook"/>'s activation at <paramref name="at"/> (shapes as
    /// <see cref="Steer"/>).
    /// </summary>
    public static HookScope Overwrite(this HookedTransformer model, string hook, Tensor vector, SteeringPositions at) =>
        Attach(model, hook, vector, at, (act, mask, v) => where(mask, v, act));

    private static HookScope Attach(HookedTransformer model, string hook, Tensor vector, SteeringPositions at,
        Func<Tensor, Tensor, Tensor, Tensor> apply)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vector);
        ArgumentNullException.ThrowIfNull(at);
        ArgumentNullException.ThrowIfNull(hook);
        if (hook.EndsWith(".hook_attn_scores", StringComparison.Ordinal) || hook.EndsWith(".hook_pattern", StringComparison.Ordinal))
            throw new IclException($"'{hook}' is [batch, head, query, key]: its second axis is not the token position, so it cannot be " +
                "steered by position. Steer hook_z (each head's output), hook_q/hook_k/hook_v or the residual stream instead.");
        Tensor held;
        using (var scope = NewDisposeScope()) held = vector.detach().clone().DetachFromDisposeScope();
        Tensor? Act(Tensor act, HookPoint point)
        {
            using var scope = NewDisposeScope();
            var context = model.Positions ?? TokenPositions.Plain(act.shape[0], act.shape[1], act.device);
            var rest = act.shape[2..];
            Tensor v;
            if (held.shape.SequenceEqual(rest)) v = held.to(act.dtype, act.device).view([1, 1, .. rest]);
            else if (held.dim() == rest.Length + 1 && held.shape.AsSpan(1).SequenceEqual(rest) && context.FirstRow + act.shape[0] <= held.shape[0])
                v = held.narrow(0, context.FirstRow, act.shape[0]).to(act.dtype, act.device).unsqueeze(1);
            else
                throw new IclException($"A steering vector of shape [{string.Join(", ", held.shape)}] does not fit '{point.Name}' " +
                    $"[{string.Join(", ", act.shape)}]: give [{string.Join(", ", rest)}], or one row per prompt " +
                    $"[prompts, {string.Join(", ", rest)}] with at least {context.FirstRow + act.shape[0]} rows.");
            var mask = at.Select(context.Positions, context.PromptLengths);                      // [batch, pos]
            mask = mask.view([.. mask.shape, .. rest.Select(_ => 1L)]);
            return apply(act, mask, v).MoveToOuterDisposeScope();
        }
        try
        {
            return model.Hooks((hook, Act)).OnDispose(held.Dispose);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }
}
