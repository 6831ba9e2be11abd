using System.Text.RegularExpressions;
using IclNotebook.Plots;

namespace IclNotebook.Tests.Plots;

public class ChartExportTests
{
    [Fact]
    public void Saved_html_is_self_contained_and_no_temp_file_is_left()
    {
        using (var dir = new TempFolder("icl-plots"))
        {
            var path = dir["resid.html"];
            ChartExport.SaveHtml(PatchPlots.Heatmap(PlotFixtures.Resid()), path);
            Assert.Equal(["resid.html"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));

            var html = File.ReadAllText(path);
            Assert.Contains("plotly.js v2.", html, StringComparison.Ordinal); // the library's banner: inline, not linked
            Assert.Contains("Plotly.newPlot", html, StringComparison.Ordinal);
            Assert.Contains("<meta charset=\"UTF-8\">", html[..1024], StringComparison.Ordinal); // browsers only look this far
            Assert.True(html.Length > 3_000_000, $"full plotly.js is ~3.5 MB; the page is {html.Length} chars");
            Assert.DoesNotMatch(new Regex("<script[^>]*\\ssrc\\s*=", RegexOptions.IgnoreCase), html);
            Assert.Contains("\"zmin\":-1", html, StringComparison.Ordinal);
            Assert.Contains("Normalised 0.25", html, StringComparison.Ordinal);

            ChartExport.SaveHtml(PatchPlots.HeadGrid(PlotFixtures.Heads()), path); // overwrite in place
            Assert.Single(Directory.GetFiles(dir.Path));
        }
    }

    [Fact]
    public void To_html_matches_what_is_saved_and_a_missing_folder_is_named()
    {
        var html = ChartExport.ToHtml(PatchPlots.Heatmap(PlotFixtures.Resid()));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        var missing = Path.Combine(Path.GetTempPath(), $"icl-missing-{Guid.NewGuid():N}", "x.html");
        var e = Assert.Throws<IclException>(() => ChartExport.SaveHtml(PatchPlots.Heatmap(PlotFixtures.Resid()), missing));
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }
}
