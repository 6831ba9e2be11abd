using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// A model component whose weights are TransformerLens state-dict entries (<c>W_Q</c>, <c>b_O</c>),
/// created directly on the model's device (the model is never moved afterwards, so the fields
/// stay the registered parameters). Weights never require grad: gradients (attribution patching)
/// are taken with respect to activations. Components register their weights, hooks and children
/// explicitly (no reflection), so state-dict keys are exactly TL's names.
/// </summary>
public abstract class ComponentBase : nn.Module<Tensor, Tensor>
{
    protected ComponentBase(string name, Device device, ModelDType dtype = ModelDType.Float32) : base(name)
    {
        Device = device;
        DType = dtype.ToScalarType();
    }

    protected Device Device { get; }

    /// <summary>The dtype of the component's weights and of its matrix products.</summary>
    protected ScalarType DType { get; }

    protected Tensor Weight(string name, params long[] shape) => Weight(name, DType, shape);

    /// <summary>A weight in <paramref name="dtype"/> whatever the component's (a float32 bias in a half-precision model).</summary>
    protected Tensor Weight(string name, ScalarType dtype, params long[] shape)
    {
        // Weights belong to the model, never to a caller's dispose scope.
        var p = new TorchSharp.Modules.Parameter(zeros(shape, dtype: dtype, device: Device), requires_grad: false);
        p.DetachFromDisposeScope();
        register_parameter(name, p);
        return p;
    }

    /// <summary>A hook point registered under <paramref name="name"/> (its path becomes its TL name).</summary>
    protected HookPoint Hook(string name)
    {
        var h = new HookPoint();
        register_module(name, h);
        return h;
    }

    /// <summary>A child component registered under <paramref name="name"/>.</summary>
    protected T Child<T>(string name, T module) where T : nn.Module
    {
        register_module(name, module);
        return module;
    }
}
