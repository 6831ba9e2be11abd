using IclNotebook.Plots;

namespace IclNotebook.Tests.Plots;

/// <summary>
/// A real browser check: headless Chromium opens the exported, self-contained HTML (offline: no
/// network is used or reachable) and the screenshot shows the heatmap's colours, not a blank page.
/// Required where .ci/run installs Chromium (ICL_REQUIRE_PNG=1); reported as skipped elsewhere.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public class BrowserRenderTests
{
    [ChromiumFact]
    public void Exported_heatmap_renders_offline_in_chromium_with_its_colours()
    {
        Assert.True(PngExport.FindChromium() is not null, "ICL_REQUIRE_PNG=1 but Chromium was not found (install chromium or set ICL_CHROMIUM)");
        using (var dir = new TempFolder("icl-render"))
        {
            var png = dir["resid.png"];
            PatchPlots.Heatmap(PlotFixtures.Resid()).SavePng(png);
            var pixels = PngPixels.Read(png);
            // The fixture holds cells at -1 or below (dark red, clipped) and at +1 or above (dark blue).
            int darkRed = pixels.Count(103, 0, 31), darkBlue = pixels.Count(5, 48, 97);
            Assert.True(darkRed > 2_000, $"dark red (normalised <= -1) pixels: {darkRed}");
            Assert.True(darkBlue > 2_000, $"dark blue (normalised >= 1) pixels: {darkBlue}");
            int white = pixels.Count(255, 255, 255, 0);
            Assert.True(white < pixels.Width * pixels.Height * 0.9, $"{white} of {pixels.Width * pixels.Height} pixels are white");
        }
    }
}
