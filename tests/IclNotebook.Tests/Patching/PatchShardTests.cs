using System.Collections;
using IclNotebook.Patching;

namespace IclNotebook.Tests.Patching;

/// <summary>Shard numbering, the scheduler variables --shard auto reads, and the cost-balanced cuts.</summary>
public class PatchShardTests
{
    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/8", 3, 8)]
    [InlineData("6/7", 6, 7)]
    public void Parse_reads_K_of_N(string text, int k, int n) => Assert.Equal(new PatchShard(k, n), PatchShard.Parse(text));

    [Theory]
    [InlineData("8/8", "do not exist", "0 to 7")]
    [InlineData("1/0", "at least 1", null)]
    [InlineData("3", "not a shard", "K/N")]
    [InlineData("-1/4", "not a shard", "K/N")]
    [InlineData("a/b", "not a shard", "K/N")]
    public void Bad_shards_are_refused_with_the_fix(string text, string problem, string? fix)
    {
        var e = Assert.Throws<IclException>(() => PatchShard.Parse(text));
        Assert.Contains(problem.Replace("do not exist", "does not exist", StringComparison.Ordinal), e.Message, StringComparison.Ordinal);
        if (fix is not null) Assert.Contains(fix, e.Message, StringComparison.Ordinal);
    }

    private static Hashtable Env(params (string Key, string Value)[] vars)
    {
        var env = new Hashtable();
        foreach (var (k, v) in vars) env[k] = v;
        return env;
    }

    [Fact]
    public void Auto_reads_a_Slurm_array_of_any_range()
    {
        var (shard, source) = PatchShard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "12"), ("SLURM_ARRAY_TASK_MIN", "10"), ("SLURM_ARRAY_TASK_MAX", "13")));
        Assert.Equal(new PatchShard(2, 4), shard);
        Assert.Contains("Slurm", source, StringComparison.Ordinal);
        Assert.Equal(new PatchShard(1, 3), PatchShard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "3"))).Shard);
        // A failed task rerun alone (sbatch --array=3) with the run's shard count keeps its number.
        var rerun = Env(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "3"), ("SLURM_ARRAY_TASK_MAX", "3"), ("SLURM_ARRAY_TASK_COUNT", "1"));
        Assert.Equal(new PatchShard(0, 1), PatchShard.FromEnvironment(rerun).Shard);
        Assert.Equal(new PatchShard(3, 8), PatchShard.FromEnvironment(rerun, count: 8).Shard);
    }

    [Fact]
    public void Auto_reads_a_Kubernetes_indexed_job_with_its_count()
    {
        var (shard, source) = PatchShard.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "5")), count: 8);
        Assert.Equal(new PatchShard(5, 8), shard);
        Assert.Contains("Kubernetes", source, StringComparison.Ordinal);
        Assert.Contains("--shard-count", Assert.Throws<IclException>(() => PatchShard.FromEnvironment(Env(("JOB_COMPLETION_INDEX", "5")))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_without_a_scheduler_or_with_a_stepped_array_says_what_to_do()
    {
        Assert.Contains("--shard K/N", Assert.Throws<IclException>(() => PatchShard.FromEnvironment(Env())).Message, StringComparison.Ordinal);
        var stepped = Env(("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_MAX", "6"), ("SLURM_ARRAY_TASK_STEP", "2"));
        Assert.Contains("contiguous", Assert.Throws<IclException>(() => PatchShard.FromEnvironment(stepped)).Message, StringComparison.Ordinal);
        Assert.Contains("0 to 7", Assert.Throws<IclException>(() => PatchShard.FromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "8")), count: 8)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuts_cover_every_unit_once_and_balance_the_cost()
    {
        var rng = new Random(3);
        var costs = Enumerable.Range(0, 200).Select(i => 1 + rng.NextDouble() * (200 - i)).ToList(); // early units cost more, as layer 0 does
        foreach (int n in new[] { 1, 2, 3, 7, 200, 250 })
        {
            var cuts = Enumerable.Range(0, n).Select(k => new PatchShard(k, n).Split(costs)).ToList();
            Assert.Equal(0, cuts[0].Start);
            Assert.Equal(costs.Count, cuts[^1].End);
            for (int k = 1; k < n; k++) Assert.Equal(cuts[k - 1].End, cuts[k].Start);
            if (n > costs.Count) continue;
            var sums = cuts.Select(c => costs.Skip(c.Start).Take(c.End - c.Start).Sum()).ToList();
            double share = costs.Sum() / n, largest = costs.Max();
            Assert.All(sums, s => Assert.True(Math.Abs(s - share) <= largest, $"N={n}: shard costs {string.Join(", ", sums)}, share {share}"));
        }
    }

    [Fact]
    public void Free_units_go_with_the_first_shard()
    {
        var costs = new[] { 0.0, 5, 5, 5, 5 };
        Assert.Equal((0, 3), new PatchShard(0, 2).Split(costs));
        Assert.Equal((3, 5), new PatchShard(1, 2).Split(costs));
        Assert.Equal((0, 3), new PatchShard(0, 1).Split(new[] { 0.0, 0, 0 }));
    }
}
