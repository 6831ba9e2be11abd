using IclNotebook.Plots;

namespace IclNotebook.Tests;

/// <summary>
/// A test that needs headless Chromium. Without it the test is reported as skipped (with how to
/// install it), never passed; where .ci/run has installed it (ICL_REQUIRE_PNG=1) it always runs,
/// so a missing browser there is a failure.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("ICL_REQUIRE_PNG") != "1" && PngExport.FindChromium() is null)
            Skip = "Chromium was not found: install Debian's chromium package or set ICL_CHROMIUM (.ci/run installs it and sets ICL_REQUIRE_PNG=1, where this test is required).";
    }
}
