using IclNotebook.Plots;
using IclNotebook.Tests.Plots;

namespace IclNotebook.Tests.Notebooks;

/// <summary>
/// The inline notebook form in a real browser: two figure outputs on one page, as a notebook shows
/// them, only the first carrying plotly.js, with an AMD loader present (Jupyter's require.js), which
/// would capture plotly.js's UMD bundle if it were not wrapped. Both figures must draw.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public class NotebookFigureRenderTests
{
    [ChromiumFact]
    public void Two_notebook_figures_draw_with_one_bundle_even_beside_an_amd_loader()
    {
        Assert.True(PngExport.FindChromium() is not null, "ICL_REQUIRE_PNG=1 but Chromium was not found (install chromium or set ICL_CHROMIUM)");
        var resid = PatchPlots.Heatmap(PlotFixtures.Resid(), new PlotOptions { Height = 400, Width = 900 });
        var heads = PatchPlots.HeadGrid(PlotFixtures.Heads(), new PlotOptions { Height = 400, Width = 900 });
        var page = "<!DOCTYPE html><html><head><meta charset=\"UTF-8\"></head><body style=\"margin:0\">" +
                   "<script>window.define = function () { window.amdCaptured = true; }; window.define.amd = true;</script>" +
                   "<div style=\"height:400px\">" + NotebookFigureHtml.Render(resid, withBundle: true) + "</div>" +
                   "<div style=\"height:400px\">" + NotebookFigureHtml.Render(heads, withBundle: false) + "</div></body></html>";
        using (var dir = new TempFolder("icl-nbfig"))
        {
            var png = dir["page.png"];
            PngExport.Screenshot(page, png, 900, 800);
            var pixels = PngPixels.Read(png);
            static bool Blue(int r, int g, int b) => b > 90 && b - r > 60;
            static bool Red(int r, int g, int b) => r > 90 && r - b > 60;
            // First figure: the residual fixture has both clipped extremes; second: the head grid (0..0.97, blues).
            Assert.True(pixels.CountRows(0, 400, Blue) > 2_000 && pixels.CountRows(0, 400, Red) > 2_000,
                $"first figure: {pixels.CountRows(0, 400, Blue)} blue, {pixels.CountRows(0, 400, Red)} red pixels");
            Assert.True(pixels.CountRows(400, 800, Blue) > 2_000, $"second figure: {pixels.CountRows(400, 800, Blue)} blue pixels");
        }
    }
}
