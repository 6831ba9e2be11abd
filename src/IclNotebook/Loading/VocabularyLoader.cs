using IclNotebook.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// Loads a model's first and last parts, whose vocabulary-sized matrices are read, processed and copied into the model's
/// own storage a block of rows at a time (<see cref="CheckpointMatrix"/>): loading never holds a float32 copy of the
/// embedding or the unembedding, whatever the vocabulary.
/// </summary>
internal static class VocabularyLoader
{
    /// <summary><c>W_E</c> block by block (each centred over d_model in LayerNorm models), then the part's other tensors.</summary>
    public static void LoadEmbeddings(HookedTransformer model, Families.EmbeddingPart part, WeightProcessing processing,
        string source, HashSet<string> loaded)
    {
        var cfg = model.Config;
        using var noGrad = no_grad();
        var wE = model.WeightToFill(StateDictKey.WE, loaded);                               // [d_vocab, d_model]
        foreach (var (start, count) in part.TokenEmbedding.Blocks())
        {
            using var scope = NewDisposeScope();
            var rows = part.TokenEmbedding.Read(start, count);
            WeightProcessor.ProcessEmbeddingRows(rows, cfg, processing);
            wE.narrow(0, start, count).copy_(rows);
        }
        using var othersScope = NewDisposeScope();
        WeightProcessor.ApplyEmbeddings(part.Others, cfg, processing);
        model.LoadWeights(part.Others, source, loaded);
    }

    /// <summary>
    /// <c>W_U</c> block by block, each the stored head's rows transposed with the final norm folded in; where TL centres the
    /// unembedding (<c>center_unembed</c>), the columns' mean over the vocabulary, summed in float64 as the blocks go by, is
    /// then subtracted in place a block at a time (a float32 model gets TL's arithmetic; a half-precision one rounds its
    /// columns before and after, a last-bit difference). Then <c>b_U</c> (centred) and what else the part holds.
    /// A model that shares its embedding (<see cref="ModelConfig.SharesEmbedding"/>) stores no <c>W_U</c>: it keeps the
    /// final norm's weight and the mean, taken from its own <c>W_E</c>, and makes the columns when it unembeds.
    /// </summary>
    public static void LoadUnembedding(HookedTransformer model, Families.UnembeddingPart part, WeightProcessing processing,
        string source, HashSet<string> loaded)
    {
        var cfg = model.Config;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var norm = WeightProcessor.TakeFinalNorm(part.Others, cfg, processing);
        var head = part.Head;
        var bU = part.Others[StateDictKey.BU];                                               // [d_vocab], float32
        bool centre = processing != WeightProcessing.Raw && cfg.OutputLogitsSoftCap is null; // soft-capped logits: TL does not centre
        if (cfg.SharesEmbedding)
        {
            // Nothing to store: a folded model keeps the final norm's weight and the columns' mean, from its own W_E.
            var wE = model.StoredEmbedding;                                                  // [d_vocab, d_model], loaded
            if (norm is not null)
                model.FoldSharedUnembedding(norm.W, centre
                    ? VocabularyMean(head, (start, count) =>
                        WeightProcessor.UnembeddingColumns(wE.narrow(0, start, count), bU.narrow(0, start, count), norm, cfg))
                    : zeros([cfg.DModel, 1]));
        }
        else
        {
            var wU = model.WeightToFill(StateDictKey.WU, loaded);                           // [d_model, d_vocab]
            var mean = VocabularyMean(head, (start, count) =>                                // one pass: filled as summed
            {
                var columns = WeightProcessor.UnembeddingColumns(head.Read(start, count), bU.narrow(0, start, count), norm, cfg);
                wU.narrow(1, start, count).copy_(columns);
                return columns;
            });
            if (centre) foreach (var (start, count) in head.Blocks()) wU.narrow(1, start, count).sub_(mean);
        }
        if (centre) bU.sub_(bU.mean());
        model.LoadWeights(part.Others, source, loaded);
    }

    /// <summary>The mean over the vocabulary of the columns <paramref name="block"/> gives, summed in float64: [d_model, 1].</summary>
    private static Tensor VocabularyMean(CheckpointMatrix head, Func<long, long, Tensor> block)
    {
        var sum = zeros([head.Columns, 1], dtype: ScalarType.Float64);
        foreach (var (start, count) in head.Blocks())
        {
            using var blockScope = NewDisposeScope();
            sum.add_(block(start, count).sum([1], keepdim: true, type: ScalarType.Float64), Runtime.HeldScalars.One);
        }
        return sum.div_(head.Rows).to(ScalarType.Float32);
    }
}
