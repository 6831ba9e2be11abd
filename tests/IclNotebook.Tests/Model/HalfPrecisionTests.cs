using IclNotebook.Hooks;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>
/// A model in bfloat16 (TL's <c>dtype</c>): weights and the large products in bfloat16, the residual stream, norms,
/// attention's core and the logits in float32 (<c>Precision</c>); measured against the same checkpoint in float32.
/// </summary>
public class HalfPrecisionTests
{
    private static string ToyFolder => Path.Combine(AppContext.BaseDirectory, "data", "models", "toy-icl-2l");
    private static string ToyTask => Path.Combine(AppContext.BaseDirectory, "data", "tasks", "associative-recall.json");

    private static (PatchResult Resid, PatchResult Heads, double Clean, double Corrupted) Seed(string folder, string task, ModelDType dtype,
        PatchingEngine engine)
    {
        using var model = ModelLoader.LoadFolder(folder, dtype: dtype);
        using var setup = PatchingSetup.Create(model, IclTask.Load(task).BuildPrompts(model.Tokenizer));
        return (engine.Run(setup, PatchTargets.ResidPre), engine.Run(setup, PatchTargets.AttnHeadAllPosEvery), setup.CleanBaseline,
            setup.CorruptedBaseline);
    }

    /// <summary>
    /// Where there is a signal (the toy model: clean -0.30, corrupted -11.11 nats), the bfloat16 heatmaps are the float32
    /// ones: measured within 0.0015 (residual) and 0.0042 (heads) normalised, the same ten largest effects in the same
    /// order, baselines within 0.012 nats.
    /// </summary>
    [Fact]
    public void The_toy_models_seed_analysis_in_bfloat16_matches_float32()
    {
        var full = Seed(ToyFolder, ToyTask, ModelDType.Float32, new FastEngine());
        var half = Seed(ToyFolder, ToyTask, ModelDType.Bfloat16, new FastEngine());
        Assert.Equal(full.Clean, half.Clean, 0.02);
        Assert.Equal(full.Corrupted, half.Corrupted, 0.02);
        foreach (var (f, h) in new[] { (full.Resid, half.Resid), (full.Heads, half.Heads) })
        {
            TensorAssert.Close(f.Normalised, h.Normalised, 0.02, $"{f.Target} normalised, bfloat16 vs float32");
            Assert.Equal(f.Largest(10).Select(e => e.Where), h.Largest(10).Select(e => e.Where));
            Assert.Equal(ModelDType.Bfloat16, h.Settings.DType);
            Assert.Contains("\"dtype\":\"bfloat16\"", h.ToJson(), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The fast engine is exact in bfloat16 too, up to the products' rounding: the same arithmetic in other batch shapes
    /// rounds bfloat16 outputs differently (measured: bit for bit on the toy model, 1.3e-3 nats at one tiny-llama-a cell).
    /// </summary>
    [Fact]
    public void The_fast_engine_equals_the_reference_in_bfloat16() => FastEqualsReferenceInBfloat16("toy");

    /// <summary>Llama's grouped keys and values too (~7 s: the full lane).</summary>
    [Fact]
    [Trait(Lane.Name, Lane.Full)]
    public void The_fast_engine_equals_the_reference_in_bfloat16_with_grouped_keys() => FastEqualsReferenceInBfloat16("tiny-llama-a");

    private static void FastEqualsReferenceInBfloat16(string which)
    {
        var (folder, task) = which == "toy"
            ? (ToyFolder, ToyTask)
            : (Families.FamilyFixture.Folder(which), Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json"));
        var fast = Seed(folder, task, ModelDType.Bfloat16, new FastEngine());
        var reference = Seed(folder, task, ModelDType.Bfloat16, new ReferenceEngine());
        TensorAssert.Close(reference.Resid.Values, fast.Resid.Values, 5e-3, "resid_pre, fast vs reference, bfloat16");
        TensorAssert.Close(reference.Heads.Values, fast.Heads.Values, 5e-3, "heads, fast vs reference, bfloat16");
    }

    /// <summary>The precision policy, pinned: what each hook sees in a bfloat16 model.</summary>
    [Fact]
    public void Hooks_see_the_residual_stream_and_attention_core_in_float32_and_the_products_in_bfloat16()
    {
        using var model = ModelLoader.LoadFolder(Families.FamilyFixture.Folder("tiny-llama-a"), dtype: ModelDType.Bfloat16);
        using var tokens = tensor(new long[] { 1, 5, 9, 13 }).unsqueeze(0);
        var (logits, cache) = model.RunWithCache(tokens);
        using (logits)
        using (cache)
        {
            Assert.Equal(ScalarType.Float32, logits.dtype);
            Assert.Equal(ScalarType.BFloat16, model.Weights().W_Q.dtype);
            foreach (var name in new[] { HookName.ResidPre(0), HookName.ResidPost(1), HookName.AttnOut(0), HookName.MlpOut(0),
                         HookName.Ln1Normalized(0), HookName.Pattern(1), HookName.AttnScores(1), HookName.Z(0) })
                Assert.True(cache[name].dtype == ScalarType.Float32, $"{name}: {cache[name].dtype}, expected Float32");
            foreach (var name in new[] { HookName.Q(0), HookName.K(1), HookName.V(0), HookName.RotQ(0), HookName.MlpPre(0), HookName.MlpPost(1) })
                Assert.True(cache[name].dtype == ScalarType.BFloat16, $"{name}: {cache[name].dtype}, expected BFloat16");
        }
    }

    /// <summary>
    /// float16 on a CPU without fast kernels is refused before any work, with the speeds it measured; where its kernels are
    /// fast (half float32's speed or better) it loads.
    /// </summary>
    [Fact]
    public void Slow_half_precision_is_refused_with_the_measured_reason()
    {
        double share = IclNotebook.Runtime.DTypeSpeed.Gflops(ScalarType.Float16, CPU)
            / IclNotebook.Runtime.DTypeSpeed.Gflops(ScalarType.Float32, CPU);
        if (share >= IclNotebook.Runtime.DTypeSpeed.MinimumShareOfFloat32)
        {
            using var loaded = ModelLoader.LoadFolder(Fixtures.TinyModel, dtype: ModelDType.Float16);
            Assert.Equal(ModelDType.Float16, loaded.Config.DType);
            return;
        }
        var refused = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(Fixtures.TinyModel, dtype: ModelDType.Float16));
        Assert.Matches(@"--dtype float16: this CPU multiplies float16 matrices at [\d.]+ GFLOP/s against float32's [\d.]+", refused.Message);
    }

    /// <summary>A float32 checkpoint loads into bfloat16 as its weights rounded once (nothing else changes them).</summary>
    [Fact]
    public void A_float32_checkpoint_loads_into_bfloat16_rounded_once()
    {
        using var full = ModelLoader.LoadFolder(Fixtures.TinyModel, WeightProcessing.Raw);
        using var half = ModelLoader.LoadFolder(Fixtures.TinyModel, WeightProcessing.Raw, dtype: ModelDType.Bfloat16);
        using var f = full.Weights();
        using var h = half.Weights();
        Assert.Equal(ScalarType.BFloat16, h.W_in.dtype);
        TensorAssert.Close(f.W_in.to(ScalarType.BFloat16).to(ScalarType.Float32), h.W_in.to(ScalarType.Float32), 0, "W_in");
        TensorAssert.Close(f.W_O.to(ScalarType.BFloat16).to(ScalarType.Float32), h.W_O.to(ScalarType.Float32), 0, "W_O");
    }

    /// <summary>
    /// tiny-qwen2-a ties its unembedding (151,936 x 32): the model stores <c>W_E</c> once, in bfloat16, and unembeds a block of
    /// the vocabulary at a time with TL's <c>W_U</c> made from it in float32: the rounded <c>W_E</c> transposed, times the final
    /// norm's weight, centred over the vocabulary. The logits are exactly that float32 product.
    /// </summary>
    [Fact]
    public void Half_precision_logits_are_the_float32_product_of_the_rounded_shared_embedding()
    {
        string folder = Families.FamilyFixture.Folder("tiny-qwen2-a");
        using var raw = ModelLoader.LoadFolder(folder, WeightProcessing.Raw);
        using var model = ModelLoader.LoadFolder(folder, dtype: ModelDType.Bfloat16);
        using var tokens = tensor(new long[] { 1, 5, 9, 13, 151_000 }).unsqueeze(0);
        var (logits, cache) = model.RunWithCache(tokens);
        using (logits)
        using (cache)
        {
            Assert.True(model.Config.SharesEmbedding);
            Assert.DoesNotContain(StateDictKey.WU, model.ExpectedWeights.Keys);
            Assert.Equal(ScalarType.BFloat16, model.W_E.dtype);
            Assert.Equal(ScalarType.Float32, model.b_U.dtype);
            using var scale = raw.state_dict()[StateDictKey.LnFinalW].view(-1, 1);
            using var columns = model.W_E.to(ScalarType.Float32).t() * scale;                    // [d_model, d_vocab]
            using var wU = columns - columns.to(ScalarType.Float64).mean([1], keepdim: true).to(ScalarType.Float32);
            using var expected = cache[HookName.FinalNormalized].matmul(wU) + model.b_U;
            TensorAssert.Close(expected, logits, 1e-5, "logits vs ln_final output x W_U (from the rounded W_E) + b_U");
            using var ids = tensor(new long[] { 151_000, 7 });
            TensorAssert.Close(wU.index_select(1, ids), model.UnembeddingColumns(ids), 0, "UnembeddingColumns");
        }
    }

    /// <summary>A TL state dict holds its own W_U, which a model sharing its embedding has no place for: refused with the way out.</summary>
    [Fact]
    public void A_state_dict_is_refused_by_a_model_that_shares_its_embedding()
    {
        using var loaded = ModelLoader.LoadFolder(Families.FamilyFixture.Folder("tiny-qwen2-a"), WeightProcessing.Raw);
        using var untied = new HookedTransformer(loaded.Config with { TiedEmbeddings = false }, WeightProcessing.Raw);
        var weights = untied.state_dict();
        untied.LoadStateDict(weights, "untied");                                          // TL's layout loads where W_U is held
        using var tied = new HookedTransformer(loaded.Config, WeightProcessing.Raw);
        var e = Assert.Throws<IclException>(() => tied.LoadStateDict(weights, "tl.pt"));
        Assert.Contains("shares its token embedding with the unembedding", e.Message, StringComparison.Ordinal);
        Assert.Contains("TiedEmbeddings = false", e.Message, StringComparison.Ordinal);
    }
}
