using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using IclNotebook.Circuits;

namespace IclNotebook.Plots;

/// <summary>
/// A circuit drawn layer by layer: the embeddings on the left, each layer's heads in a column with its MLP beside them, the
/// logits on the right; each edge a line from its sender to the component whose input it reaches, coloured by that input
/// (query, key, value, MLP input, logits), as wide as its |normalised effect|, dotted where the effect is negative.
/// </summary>
public static class CircuitPlot
{
    private static readonly Dictionary<ReceiverInput, string> Colours = new()
    {
        [ReceiverInput.Query] = "rgb(33,102,172)",
        [ReceiverInput.Key] = "rgb(27,120,55)",
        [ReceiverInput.Value] = "rgb(224,130,20)",
        [ReceiverInput.Mlp] = "rgb(118,42,131)",
        [ReceiverInput.Logits] = "rgb(90,90,90)",
    };

    public static PlotlyFigure Graph(string title, IReadOnlyList<PathEdge> edges, int layers, int heads, int width = 1000, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(edges);
        double middle = (heads - 1) / 2.0;
        (double X, double Y) Sender(PathSender s) => s.IsEmbed ? (0, middle) : s.IsHead ? (2 * s.Layer + 1, s.Head!.Value) : (2 * s.Layer + 2, middle);
        (double X, double Y) Receiver(PathReceiver r) => r.Input switch
        {
            ReceiverInput.Logits => (2 * layers + 1, middle),
            ReceiverInput.Mlp => (2 * r.Layer + 2, middle),
            _ => (2 * r.Layer + 1, r.Head!.Value),
        };
        double strongest = edges.Select(e => Math.Abs(e.Normalised)).DefaultIfEmpty(1).Max();
        var data = new JsonArray();
        foreach (var e in edges)
        {
            var (x0, y0) = Sender(e.Sender);
            var (x1, y1) = Receiver(e.Receiver);
            string hover = WebUtility.HtmlEncode($"{e.Label}: {e.Normalised.ToString("F3", CultureInfo.InvariantCulture)}");
            data.Add(new JsonObject
            {
                ["type"] = "scatter",
                ["mode"] = "lines",
                ["x"] = new JsonArray(x0, (x0 + x1) / 2, x1),
                ["y"] = new JsonArray(y0, (y0 + y1) / 2 + 0.15 * (x1 - x0) / Math.Max(1, 2 * layers), y1),
                ["line"] = new JsonObject
                {
                    ["color"] = Colours[e.Receiver.Input],
                    ["width"] = 1 + 9 * Math.Abs(e.Normalised) / Math.Max(strongest, 1e-12),
                    ["dash"] = e.Normalised < 0 ? "dot" : "solid",
                },
                ["hovertemplate"] = $"{hover}<extra></extra>",
                ["showlegend"] = false,
            });
        }
        foreach (var input in Colours.Keys.Where(i => edges.Any(e => e.Receiver.Input == i)))
            data.Add(new JsonObject
            {
                ["type"] = "scatter", ["mode"] = "lines", ["x"] = new JsonArray(), ["y"] = new JsonArray(), ["name"] = Name(input),
                ["line"] = new JsonObject { ["color"] = Colours[input], ["width"] = 4 },
            });
        var nodes = edges.Select(e => (Label: e.Sender.Label, At: Sender(e.Sender)))
            .Concat(edges.Select(e => (Label: e.Receiver.IsHead ? $"L{e.Receiver.Layer}H{e.Receiver.Head}" : e.Receiver.Input == ReceiverInput.Logits
                ? "logits" : $"{e.Receiver.Layer}_mlp", At: Receiver(e.Receiver))))
            .DistinctBy(n => n.Label.Replace("_mlp_out", "_mlp", StringComparison.Ordinal)).ToArray();
        data.Add(new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "markers+text",
            ["x"] = new JsonArray(nodes.Select(n => (JsonNode)JsonValue.Create(n.At.X)).ToArray()),
            ["y"] = new JsonArray(nodes.Select(n => (JsonNode)JsonValue.Create(n.At.Y)).ToArray()),
            ["text"] = new JsonArray(nodes.Select(n => (JsonNode)JsonValue.Create(WebUtility.HtmlEncode(n.Label))).ToArray()),
            ["textposition"] = "top center",
            ["marker"] = new JsonObject { ["size"] = 12, ["color"] = "white", ["line"] = new JsonObject { ["color"] = "black", ["width"] = 1.5 } },
            ["hoverinfo"] = "text",
            ["showlegend"] = false,
        });
        var ticks = Enumerable.Range(0, 2 * layers + 2).ToArray();
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = title },
            ["width"] = width,
            ["height"] = height,
            ["plot_bgcolor"] = "white",
            ["xaxis"] = new JsonObject
            {
                ["tickvals"] = new JsonArray(ticks.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()),
                ["ticktext"] = new JsonArray(ticks.Select(t => (JsonNode)JsonValue.Create(t == 0 ? "embed" : t == 2 * layers + 1 ? "logits"
                    : t % 2 == 1 ? $"layer {t / 2} heads" : $"layer {t / 2 - 1} MLP")).ToArray()),
                ["showgrid"] = false,
                ["zeroline"] = false,
            },
            ["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "head" }, ["showgrid"] = false, ["zeroline"] = false },
        };
        return new PlotlyFigure(PlotlyFigure.PlainText(title), data, layout, width, height);
    }

    /// <summary>
    /// A path-patching grid (or an estimate of one) as a heatmap of normalised effects: senders down, receivers across, those
    /// <paramref name="sender"/> and <paramref name="receiver"/> keep (default all); a path that does not exist is a gap.
    /// </summary>
    public static PlotlyFigure Grid(string title, PathPatchingResult grid, Model.ModelConfig config, Func<PathSender, bool>? sender = null,
        Func<PathReceiver, bool>? receiver = null, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(config);
        var rows = Enumerable.Range(0, grid.Senders.Count).Where(i => sender?.Invoke(grid.Senders[i]) ?? true).ToArray();
        var columns = Enumerable.Range(0, grid.Receivers.Count).Where(j => receiver?.Invoke(grid.Receivers[j]) ?? true).ToArray();
        var z = rows.Select(i => columns.Select(j => grid.Receivers[j].IsReachedBy(grid.Senders[i], config)
            ? (double?)grid.Normalised(i, j) : null).ToArray()).ToArray();
        var hover = rows.Select(i => columns.Select(j => WebUtility.HtmlEncode(
            $"{grid.Senders[i].Label} -> {grid.Receivers[j].Label}: {grid.Normalised(i, j).ToString("F3", CultureInfo.InvariantCulture)}")).ToArray()).ToArray();
        var panel = new HeatmapPanel("", "receiver (the input the path reaches)", "sender",
            columns.Select(j => grid.Receivers[j].Label).ToArray(), rows.Select(i => grid.Senders[i].Label).ToArray(), z, hover);
        return PanelFigure.Build([panel], title, options ?? new PlotOptions(), 40 * columns.Length + 260, 28 * rows.Length + 200);
    }

    private static string Name(ReceiverInput input) => input switch
    {
        ReceiverInput.Query => "into a query",
        ReceiverInput.Key => "into a key",
        ReceiverInput.Value => "into a value",
        ReceiverInput.Mlp => "into an MLP",
        _ => "into the logits",
    };
}
