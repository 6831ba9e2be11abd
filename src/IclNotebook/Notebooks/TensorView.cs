using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Notebooks;

/// <summary>
/// A tensor as its shape, dtype and device, a few statistics and its first values, instead of the
/// kernel's dump of every property. Values are read on the CPU; nothing is changed.
/// </summary>
internal static class TensorView
{
    private const int Preview = 8;

    public static string Html(Tensor t) => "<pre>" + System.Net.WebUtility.HtmlEncode(Text(t)) + "</pre>";

    public static string Text(Tensor t)
    {
        var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"Tensor [{string.Join(", ", t.shape)}] {t.dtype} on {t.device}"));
        if (t.NumberOfElements == 0 || !t.is_floating_point()) return sb.ToString();
        using var scope = NewDisposeScope();
        var flat = t.detach().to(CPU).to_type(ScalarType.Float64).flatten();
        var finite = flat.isfinite();
        sb.Append(CultureInfo.InvariantCulture, $"; mean {flat.mean().item<double>():G5}, " +
                                                $"std {(flat.NumberOfElements > 1 ? flat.std().item<double>() : 0):G5}, " +
                                                $"min {flat.min().item<double>():G5}, max {flat.max().item<double>():G5}");
        long nonFinite = flat.NumberOfElements - finite.sum().item<long>();
        if (nonFinite > 0) sb.Append(CultureInfo.InvariantCulture, $", {nonFinite} non-finite");
        var first = flat[..(int)Math.Min(Preview, flat.NumberOfElements)].data<double>().ToArray();
        sb.Append("\nfirst values: ").Append(string.Join(", ", first.Select(v => v.ToString("G5", CultureInfo.InvariantCulture))));
        if (flat.NumberOfElements > Preview) sb.Append(", ...");
        return sb.ToString();
    }
}
