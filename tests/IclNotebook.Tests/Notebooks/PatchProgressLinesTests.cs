using IclNotebook.Notebooks;
using IclNotebook.Patching;

namespace IclNotebook.Tests.Notebooks;

public class PatchProgressLinesTests
{
    [Fact]
    public void One_line_per_tenth_of_each_target_with_counts()
    {
        var writer = new StringWriter();
        var progress = new PatchProgressLines(writer);
        for (int done = 0; done <= 50; done++) progress.Report(new PatchProgress("resid_pre", done, 50));
        progress.Report(new PatchProgress("attn_head_out_all_pos", 3, 4)); // a new target starts its own count
        progress.Report(new PatchProgress("attn_head_out_all_pos", 4, 4));
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11 + 2, lines.Length);
        Assert.StartsWith("resid_pre:   0% (0/50 patches, ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("resid_pre:  50% (25/50 patches, ", lines[5], StringComparison.Ordinal);
        Assert.Contains("left)", lines[5], StringComparison.Ordinal);
        Assert.StartsWith("resid_pre: 100% (50/50 patches, ", lines[10], StringComparison.Ordinal);
        Assert.DoesNotContain("left", lines[10], StringComparison.Ordinal);
        Assert.StartsWith("attn_head_out_all_pos:  70% (3/4 patches", lines[11], StringComparison.Ordinal);
    }
}
