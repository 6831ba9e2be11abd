using IclNotebook.Hooks;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>TransformerLens's weight accessors: TL's shapes, the model's own (processed) weights, the factored circuits.</summary>
public class WeightAccessorTests(ModelFixture fixture) : IClassFixture<ModelFixture>
{
    [Fact]
    public void Accessors_have_TransformerLens_shapes_and_hold_the_loaded_weights()
    {
        var model = fixture.Get(WeightProcessing.Raw);
        var c = model.Config; // 2 layers, 4 heads, d_model 64, d_head 16, d_mlp 256, n_ctx 256, d_vocab 50257
        using var scope = NewDisposeScope();
        using var w = model.Weights();
        Assert.Equal([c.DVocab, c.DModel], model.W_E.shape);
        Assert.Equal([c.NCtx, c.DModel], model.W_pos.shape);
        Assert.Equal([c.DModel, c.DVocab], model.W_U.shape);
        Assert.Equal([c.DVocab], model.b_U.shape);
        foreach (var t in new[] { w.W_Q, w.W_K, w.W_V }) Assert.Equal([c.NLayers, c.NHeads, c.DModel, c.DHead], t.shape);
        Assert.Equal([c.NLayers, c.NHeads, c.DHead, c.DModel], w.W_O.shape);
        foreach (var b in new[] { w.b_Q, w.b_K, w.b_V }) Assert.Equal([c.NLayers, c.NHeads, c.DHead], b.shape);
        Assert.Equal([c.NLayers, c.DModel], w.b_O.shape);
        Assert.Equal([c.NLayers, c.DModel, c.DMlp], w.W_in.shape);
        Assert.Equal([c.NLayers, c.DMlp], w.b_in.shape);
        Assert.Equal([c.NLayers, c.DMlp, c.DModel], w.W_out.shape);
        Assert.Equal([c.NLayers, c.DModel], w.b_out.shape);
        Assert.False(w.W_Q.requires_grad);
        Assert.Same(w.W_Q, w.W_Q);                                                          // stacked once, kept by the snapshot

        // The stacked weights are the layers' own: layer 1's query of head 2 reproduces hook_q at that head.
        using var tokens = ModelFixture.Tokens("clean");
        var (logits, cache) = model.RunWithCache(tokens, n => n == HookName.Q(1) || n == HookName.Ln1Normalized(1));
        using var _ = logits;
        using var __ = cache;
        var q = cache[HookName.Ln1Normalized(1)].matmul(w.W_Q[1, 2]) + w.b_Q[1, 2]; // [batch, pos, d_head]
        Assert.True(q.allclose(cache[HookName.Q(1)][.., .., 2], rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Processed_accessors_show_TransformerLens_processing()
    {
        var model = fixture.Get(WeightProcessing.Default);
        using var scope = NewDisposeScope();
        using var w = model.Weights();
        // Centre unembed: every d_model row of W_U has mean zero over the vocabulary; value biases folded into b_O.
        TensorAssert.Zero(model.W_U.mean([1]), 1e-5, "W_U's means over the vocabulary");
        TensorAssert.Zero(w.b_V, 0, "b_V");
        // Centre writing weights: what a head or an MLP writes has mean zero over d_model.
        TensorAssert.Zero(w.W_O.mean([-1]), 1e-5, "W_O's means over d_model");
        TensorAssert.Zero(w.W_out.mean([-1]), 1e-5, "W_out's means over d_model");
    }

    [Fact]
    public void QK_and_OV_are_the_per_head_products_in_factored_form()
    {
        var model = fixture.Get(WeightProcessing.Default);
        var c = model.Config;
        using var scope = NewDisposeScope();
        using var w = model.Weights();
        using var ov = w.OV();
        using var qk = w.QK();
        Assert.Equal([c.NLayers, c.NHeads, c.DModel, c.DModel], ov.Shape);
        Assert.Equal([c.NLayers, c.NHeads, c.DModel, c.DModel], qk.Shape);
        var ovProduct = ov.AB();
        Assert.True(ovProduct[1, 3].allclose(w.W_V[1, 3].matmul(w.W_O[1, 3]), rtol: 0, atol: 1e-6));
        Assert.True(qk.AB()[0, 1].allclose(w.W_Q[0, 1].matmul(w.W_K[0, 1].T), rtol: 0, atol: 1e-6));
        // The norm without materialising equals the materialised product's Frobenius norm.
        var direct = ovProduct.square().sum([-2, -1]).sqrt();
        Assert.True(ov.Norm().allclose(direct, rtol: 1e-4, atol: 0));
        // BA is d_head x d_head; its eigenvalues are the product's non-zero ones (rank <= d_head).
        Assert.Equal([c.NLayers, c.NHeads, c.DHead, c.DHead], ov.BA().shape);
        Assert.Equal([c.NLayers, c.NHeads, c.DModel, c.DModel], ov.T().Shape);
        Assert.True(ov.T().AB()[1, 3].allclose(ovProduct[1, 3].T, rtol: 0, atol: 1e-6));
        // The eigenvalues from BA are the product's non-zero ones: the d_head largest |eigenvalues| of AB.
        var fromBa = ov.Eigenvalues()[1, 3].abs().sort(descending: true).Values;                     // [d_head]
        var fromAb = linalg.eigvals(ovProduct[1, 3]).abs().sort(descending: true).Values[..(int)c.DHead];
        TensorAssert.Close(fromAb, fromBa, 1e-4, "|eigenvalues| of BA and of AB");
    }

    [Fact]
    public void A_weight_snapshot_frees_what_it_stacked_and_refuses_reads_afterwards()
    {
        var model = fixture.Get(WeightProcessing.Raw);
        var w = model.Weights();
        var wq = w.W_Q;
        w.Dispose();
        Assert.True(wq.IsInvalid);
        Assert.Throws<ObjectDisposedException>(() => w.W_O);
    }
}
