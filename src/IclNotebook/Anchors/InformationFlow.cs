namespace IclNotebook.Anchors;

/// <summary>
/// Wang et al.'s three information flows of one layer, each a mean saliency over the strictly lower
/// triangle (j &lt; i) of positions 0..q (q = the prediction's position):
/// <see cref="TextToLabel"/> S_wp (label words gathering from the text before them),
/// <see cref="LabelToTarget"/> S_pq (the prediction reading the label words) and
/// <see cref="Other"/> S_ww (every other edge).
/// </summary>
public sealed record InformationFlow(double TextToLabel, double LabelToTarget, double Other)
{
    /// <summary>
    /// The flows of one prompt's saliency matrix <paramref name="saliency"/> [dest, src] (at least
    /// q + 1 square), with label positions <paramref name="labels"/> (all &lt; q) and q the last real
    /// token: S_wp = mean I[p, j], p a label position, j &lt; p; S_pq = mean I[q, p]; S_ww = mean of
    /// I[i, j], j &lt; i &lt;= q, over the remaining edges — the paper's <c>get_proportion</c>.
    /// </summary>
    public static InformationFlow Of(float[,] saliency, IReadOnlyList<int> labels, int q)
    {
        ArgumentNullException.ThrowIfNull(saliency);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new IclException("The information flows need at least one label position.");
        if (labels.Any(p => p <= 0 || p >= q))
            throw new IclException($"Label positions must lie between the first token and the prediction (1..{q - 1}); " +
                $"got {string.Join(", ", labels)}.");
        double wp = 0, pq = 0, total = 0;
        long wpCount = 0;
        for (int i = 1; i <= q; i++)
            for (int j = 0; j < i; j++) total += saliency[i, j];
        foreach (int p in labels)
        {
            for (int j = 0; j < p; j++) wp += saliency[p, j];
            wpCount += p;
            pq += saliency[q, p];
        }
        long all = (long)q * (q + 1) / 2;
        long other = all - wpCount - labels.Count;
        return new InformationFlow(wp / wpCount, pq / labels.Count, other > 0 ? (total - wp - pq) / other : 0);
    }

    /// <summary>The mean of several prompts' flows.</summary>
    public static InformationFlow Mean(IReadOnlyList<InformationFlow> flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return new InformationFlow(flows.Average(f => f.TextToLabel), flows.Average(f => f.LabelToTarget), flows.Average(f => f.Other));
    }
}
