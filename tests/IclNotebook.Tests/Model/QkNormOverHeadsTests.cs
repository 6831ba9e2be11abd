using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>OLMo-2's key norm runs over all key heads at once: per-query-head copies of a grouped key are refused, not approximated.</summary>
public class QkNormOverHeadsTests
{
    [Fact]
    public void Ungrouping_a_grouped_olmo2_is_refused_naming_why_and_what_to_patch_instead()
    {
        using var mha = RandomModels.Create(3, layers: 2, heads: 4, "olmo2");
        var cfg = mha.Config with { Name = "grouped-olmo2", NKeyValueHeads = 2 };
        using var grouped = new HookedTransformer(cfg, WeightProcessing.Raw);
        using var tokens = randint(cfg.DVocab, [1, 6], dtype: ScalarType.Int64);
        using (var logits = grouped.Run(tokens)) Assert.Equal(cfg.DVocab, logits.shape[^1]);   // grouped, not ungrouped: runs
        using var ungrouped = grouped.UngroupGroupedQueryAttention();
        var e = Assert.Throws<IclException>(() => grouped.Run(tokens));
        Assert.Contains("key norm runs over all key heads at once (OLMo-2 with grouped-query attention)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Patch the other panels, or resid_pre / the heads' outputs.", e.Message, StringComparison.Ordinal);
    }
}
