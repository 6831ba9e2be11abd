namespace IclNotebook.Icl;

/// <summary>
/// How a task's corruption is replayed onto the demonstrations. The default,
/// <see cref="Simultaneous"/>, is the corrected behaviour; <see cref="Sequential"/> exists to
/// reproduce the original Colab (and any number computed its way) exactly. Independent of where
/// the metric reads (<see cref="Metrics.MetricRead"/>).
/// </summary>
public enum CorruptionReplay
{
    /// <summary>
    /// Corrupt the demo <em>labels</em> and re-format the demo lines: every label is mapped at
    /// once (a swap stays a swap), labels missing from a map stay, inputs are never touched.
    /// Defined for every corruption kind.
    /// </summary>
    Simultaneous,

    /// <summary>
    /// The original notebook's loop, defined only for a <c>label-map</c> corruption: for each
    /// formatted demo line it runs Python's <c>str.replace(old, new)</c> once per map entry, in
    /// map order, one after the other, on the whole line. With the map positive->negative,
    /// negative->positive, neutral->mixed, mixed->neutral a 'positive' demo becomes 'negative'
    /// and straight back 'positive' (likewise 'neutral'): only the 'negative' and 'mixed' demos
    /// change. It also rewrites those words inside an input's text.
    /// </summary>
    Sequential,
}

