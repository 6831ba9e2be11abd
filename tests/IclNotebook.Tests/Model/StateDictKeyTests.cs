using IclNotebook.Model;

namespace IclNotebook.Tests.Model;

/// <summary>StateDictKey is a table written by hand: its keys are TransformerLens's state-dict names, and the model's own.</summary>
public class StateDictKeyTests
{
    private static readonly ModelConfig Plain = new("keys", 4, 32, 4, 8, 128, 97, 32, 1e-5);
    private static readonly ModelConfig Grouped = Plain with { NKeyValueHeads = 2 };

    [Fact]
    public void Keys_are_TransformerLens_exact_names()
    {
        Assert.Equal("blocks.3.attn.W_Q", StateDictKey.WQ(3));
        Assert.Equal("blocks.0.attn.W_K", StateDictKey.WK(0, Plain));
        Assert.Equal("blocks.0.attn._W_K", StateDictKey.WK(0, Grouped));
        Assert.Equal("blocks.1.attn._b_V", StateDictKey.BV(1, Grouped));
        Assert.Equal("blocks.2.mlp.W_gate", StateDictKey.WGate(2));
        Assert.Equal("blocks.0.ln2.b", StateDictKey.Ln2B(0));
        Assert.Equal("unembed.W_U", StateDictKey.WU);
        Assert.Equal("ln_final.w", StateDictKey.LnFinalW);
        Assert.Equal(StateDictKey.WO(5), StateDictKey.Block(5, "attn.W_O"));
    }

    /// <summary>Every key the table builds for a raw model's layers is a weight that model expects, grouped or not.</summary>
    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("qwen3")]
    [InlineData("gemma2")]
    [InlineData("olmo2")]
    public void Every_key_the_table_builds_is_a_weight_of_the_model(string family)
    {
        using var model = RandomModels.Create(1, 2, 4, family);
        var cfg = model.Config;
        var built = new List<string> { StateDictKey.WE, StateDictKey.WU, StateDictKey.BU, StateDictKey.LnFinalW };
        if (!cfg.IsRotary) built.Add(StateDictKey.WPos);
        if (!cfg.FinalRms) built.Add(StateDictKey.LnFinalB);
        for (int l = 0; l < cfg.NLayers; l++)
        {
            built.AddRange(StateDictKey.Qkv(l, cfg).SelectMany(k => new[] { k.Weight, k.Bias }));
            built.AddRange([StateDictKey.WO(l), StateDictKey.BO(l), StateDictKey.WIn(l), StateDictKey.BIn(l), StateDictKey.WOut(l),
                StateDictKey.BOut(l)]);
            if (cfg.PreNorms) built.AddRange([StateDictKey.Ln1W(l), StateDictKey.Ln2W(l)]);
            if (cfg.GatedMlp) built.Add(StateDictKey.WGate(l));
            if (cfg.QkNorm) built.AddRange([StateDictKey.QNormW(l), StateDictKey.KNormW(l)]);
            if (cfg.PostNorms) built.AddRange([StateDictKey.Ln1PostW(l), StateDictKey.Ln2PostW(l)]);
            if (cfg.Normalization == NormalizationType.LN) built.AddRange([StateDictKey.Ln1B(l), StateDictKey.Ln2B(l)]);
        }
        // And the table covers every weight the model has.
        Assert.Equal(model.ExpectedWeights.Keys.Order(StringComparer.Ordinal), built.Order(StringComparer.Ordinal));
    }
}
