using System.Diagnostics;

namespace IclNotebook.Tests.Deploy;

/// <summary>
/// A test that submits jobs to a real Slurm cluster. Where none answers (<c>sinfo</c>) it is reported
/// as skipped, with how to start one; where .ci/run started one (ICL_REQUIRE_SLURM=1) it always
/// runs, so a cluster that is down there is a failure.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("ICL_REQUIRE_SLURM") != "1" && !ClusterAnswers())
            Skip = "No Slurm cluster answers sinfo: start one with `deploy/slurm/single-node-cluster.sh start` as root (.ci/run does, and requires this test there).";
    }

    private static bool ClusterAnswers()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("sinfo", "-h -o %T") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = p.StandardOutput.ReadToEnd();
            return p.WaitForExit(10_000) && p.ExitCode == 0 && output.Trim().Length > 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // sinfo is not installed
        }
    }
}
