using System.Text.Json;
using IclNotebook.Patching;
using IclNotebook.Plots;

namespace IclNotebook.Tests.Plots;

public class PatchPlotsTests
{
    private static JsonElement Figure(PlotlyFigure figure) => JsonDocument.Parse(figure.ToJson()).RootElement;

    private static JsonElement[] Traces(JsonElement figure) => figure.GetProperty("data").EnumerateArray().ToArray();

    [Fact]
    public void Residual_heatmap_uses_the_colab_scale_axes_ticks_and_exact_hover()
    {
        var figure = Figure(PatchPlots.Heatmap(PlotFixtures.Resid()));
        var trace = Assert.Single(Traces(figure));
        Assert.Equal("heatmap", trace.GetProperty("type").GetString());
        Assert.Equal(-1, trace.GetProperty("zmin").GetDouble());
        Assert.Equal(1, trace.GetProperty("zmax").GetDouble());
        Assert.Equal(0, trace.GetProperty("zmid").GetDouble());

        // px's RdBu: dark red at -1, white at 0, dark blue at +1 (positive = blue, like the Colab).
        var scale = trace.GetProperty("colorscale").EnumerateArray().ToArray();
        Assert.Equal(11, scale.Length);
        Assert.Equal("rgb(103,0,31)", scale[0][1].GetString());
        Assert.Equal("rgb(247,247,247)", scale[5][1].GetString());
        Assert.Equal("rgb(5,48,97)", scale[10][1].GetString());
        Assert.Equal(1, scale[10][0].GetDouble());

        var layout = figure.GetProperty("layout");
        Assert.Equal("Position", layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("Layer", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("reversed", layout.GetProperty("yaxis").GetProperty("autorange").GetString());
        string title = layout.GetProperty("title").GetProperty("text").GetString()!;
        Assert.StartsWith("Residual stream patching (resid_pre)", title, StringComparison.Ordinal);
        Assert.Contains("gpt2, fast engine, mean log P(answer)", title, StringComparison.Ordinal);   // settings by their names

        var x = trace.GetProperty("x").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["0: &lt;|endoftext|&gt;", "1: Review", "2: :", "3: positive"], x);
        Assert.Equal(0.25, trace.GetProperty("z")[1][3].GetDouble());
        var hover = trace.GetProperty("text")[1][3].GetString()!;
        Assert.Equal("Layer 1<br>Position 3<br>Token positive<br>Normalised 0.25<br>Value -3 nats", hover);
        Assert.Equal("%{text}<extra></extra>", trace.GetProperty("hovertemplate").GetString());
    }

    [Fact]
    public void Head_heatmap_has_head_columns_and_the_colab_axis_titles()
    {
        var result = PlotFixtures.Make("attn_head_out_all_pos", ["Layer", "Head"], [PlotFixtures.Numbers(2), PlotFixtures.Numbers(3)], i => i / 6.0);
        var figure = Figure(PatchPlots.Heatmap(result, new PlotOptions { Title = "Mine", Width = 777 }));
        var layout = figure.GetProperty("layout");
        Assert.Equal("Head", layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("Layer", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("Mine", layout.GetProperty("title").GetProperty("text").GetString());
        Assert.Equal(777, layout.GetProperty("width").GetInt32());
        var trace = Assert.Single(Traces(figure));
        Assert.Equal(["0", "1", "2"], trace.GetProperty("x").EnumerateArray().Select(e => e.GetString()!));
        Assert.Contains("Head 2", trace.GetProperty("text")[1][2].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Head_grid_has_five_panels_and_one_colour_bar()
    {
        var figure = Figure(PatchPlots.HeadGrid(PlotFixtures.Heads()));
        var traces = Traces(figure);
        Assert.Equal(5, traces.Length);
        Assert.All(traces, t => Assert.Equal("heatmap", t.GetProperty("type").GetString()));
        Assert.All(traces, t => Assert.Equal(-1, t.GetProperty("zmin").GetDouble()));
        Assert.All(traces, t => Assert.Equal(1, t.GetProperty("zmax").GetDouble()));
        Assert.Equal(1, traces.Count(t => t.GetProperty("showscale").GetBoolean()));
        Assert.Equal(PlotFixtures.PatchTypes, traces.Select(t => t.GetProperty("name").GetString()!));
        Assert.Equal(["x", "x2", "x3", "x4", "x5"], traces.Select(t => t.GetProperty("xaxis").GetString()!));

        var layout = figure.GetProperty("layout");
        var titles = layout.GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString()!);
        Assert.Equal(PlotFixtures.PatchTypes, titles);
        Assert.Equal("Head", layout.GetProperty("xaxis3").GetProperty("title").GetProperty("text").GetString());
        // Query panel (type 1), layer 1, head 2 is flat index 1*6 + 1*3 + 2 = 11.
        Assert.Equal(11 / 30.0, traces[1].GetProperty("z")[1][2].GetDouble(), 12);
        Assert.Contains("Patch Query<br>Layer 1<br>Head 2", traces[1].GetProperty("text")[1][2].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void By_position_puts_each_head_on_a_row_and_positions_on_columns()
    {
        var figure = Figure(PatchPlots.ByPosition(PlotFixtures.ByPos()));
        var trace = Assert.Single(Traces(figure));
        var rows = trace.GetProperty("y").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["L0H0", "L0H1", "L0H2", "L1H0", "L1H1", "L1H2"], rows);
        Assert.Equal(4, trace.GetProperty("x").GetArrayLength());
        // Row L1H2, position 3 = result[1, 3, 2] = flat 1*12 + 3*3 + 2 = 23.
        Assert.Equal(23 / 24.0, trace.GetProperty("z")[5][3].GetDouble(), 12);
        Assert.Equal("Layer & Head", figure.GetProperty("layout").GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void By_position_with_patch_types_has_a_panel_per_type()
    {
        var result = PlotFixtures.Make("attn_head_by_pos_every", ["PatchType", "Layer", "Pos", "Head"],
            [PlotFixtures.PatchTypes, PlotFixtures.Numbers(2), PlotFixtures.PositionLabels, PlotFixtures.Numbers(3)], i => i / 120.0);
        var traces = Traces(Figure(PatchPlots.Plot(result)));
        Assert.Equal(5, traces.Length);
        Assert.Equal(1, traces.Count(t => t.GetProperty("showscale").GetBoolean()));
    }

    [Fact]
    public void Non_finite_normalised_values_become_gaps()
    {
        var result = PlotFixtures.Resid() with { CleanBaseline = -1, CorruptedBaseline = -1 };
        var trace = Assert.Single(Traces(Figure(PatchPlots.Heatmap(result))));
        Assert.Equal(JsonValueKind.Null, trace.GetProperty("z")[0][0].ValueKind);
    }

    [Fact]
    public void Wrong_shaped_results_name_their_axes()
    {
        var heads = Assert.Throws<IclException>(() => PatchPlots.Heatmap(PlotFixtures.Heads()));
        Assert.Contains("[PatchType, Layer, Head]", heads.Message, StringComparison.Ordinal);
        Assert.Contains("PatchPlots.Plot", heads.Message, StringComparison.Ordinal);
        var resid = Assert.Throws<IclException>(() => PatchPlots.HeadGrid(PlotFixtures.Resid()));
        Assert.Contains("[Layer, Pos]", resid.Message, StringComparison.Ordinal);
        Assert.Contains("resid_pre", resid.Message, StringComparison.Ordinal);
        Assert.Throws<IclException>(() => PatchPlots.ByPosition(PlotFixtures.Resid()));
        var broken = PlotFixtures.Resid() with { Values = [1.0, 2.0] };
        Assert.Contains("12 values", Assert.Throws<IclException>(() => PatchPlots.Heatmap(broken)).Message, StringComparison.Ordinal);
        Assert.Throws<IclException>(() => PatchPlots.Heatmap(PlotFixtures.Resid(), new PlotOptions { ColourRange = 0 }));
    }

    [Fact]
    public void Plot_picks_the_plot_for_the_axes()
    {
        Assert.Single(Traces(Figure(PatchPlots.Plot(PlotFixtures.Resid()))));
        Assert.Equal(5, Traces(Figure(PatchPlots.Plot(PlotFixtures.Heads()))).Length);
        var block = PlotFixtures.Make("block_every", ["PatchType", "Layer", "Pos"], [["Residual stream", "Attention output", "MLP output"], PlotFixtures.Numbers(3), PlotFixtures.PositionLabels], i => i / 36.0);
        Assert.Equal(3, Traces(Figure(PatchPlots.Plot(block))).Length);
    }
}
