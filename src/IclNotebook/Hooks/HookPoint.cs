using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Hooks;

/// <summary>
/// Reads or replaces an activation passing a hook point. Return null to leave it unchanged, or a
/// tensor of the same shape to replace it.
/// </summary>
public delegate Tensor? HookFunction(Tensor activation, HookPoint hook);

/// <summary>
/// An identity module whose name is its path in the model (<c>blocks.3.attn.hook_z</c>), exactly
/// TransformerLens's hook point: that one string is the hook address, the cache key and the patch
/// target. Hooks are attached through <see cref="Model.HookedTransformer.Hooks"/> scopes and are
/// never left behind.
/// </summary>
public sealed class HookPoint : nn.Module<Tensor, Tensor>
{
    private readonly List<HookFunction> _hooks = new();

    public HookPoint() : base(nameof(HookPoint)) { }

    /// <summary>The TransformerLens hook name, set by the model once it is assembled.</summary>
    public string Name { get; internal set; } = "";

    public bool HasHooks => _hooks.Count > 0;

    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var hook in _hooks)
        {
            var replaced = hook(x, this);
            if (replaced is null) continue;
            if (!replaced.shape.SequenceEqual(x.shape))
                throw new IclException($"A hook on '{Name}' returned shape [{string.Join(", ", replaced.shape)}] " +
                    $"but the activation is [{string.Join(", ", x.shape)}]; " +
                    "a hook must return a tensor of the same shape (or null to leave it unchanged).");
            x = replaced;
        }
        return x;
    }

    internal IDisposable Add(HookFunction hook)
    {
        _hooks.Add(hook);
        return new Removal(this, hook);
    }

    private sealed class Removal(HookPoint point, HookFunction hook) : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            point._hooks.Remove(hook);
        }
    }
}
