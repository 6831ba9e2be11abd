using System.Collections;
using System.Globalization;

namespace IclNotebook.Patching;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> of a patching grid (0-based, as Slurm's array
/// task ids and Kubernetes' completion indices are). Every shard plans the whole grid the same way
/// and runs one contiguous stretch of its work, cut so that the stretches' estimated costs
/// (<see cref="Split"/>) are as even as the work's granularity allows; the shards' results merge
/// into the unsharded result (<see cref="PatchResult.Merge"/>).
/// </summary>
public sealed record PatchShard
{
    public PatchShard(int index, int count)
    {
        if (count < 1) throw new IclException($"A grid splits into at least 1 shard, not {count}.");
        if (index < 0 || index >= count) throw new IclException($"Shard {index} of {count} does not exist: shards are numbered 0 to {count - 1}.");
        Index = index;
        Count = count;
    }

    /// <summary>This shard's number, 0..Count-1.</summary>
    public int Index { get; }

    /// <summary>How many shards the grid is split into.</summary>
    public int Count { get; }

    /// <summary>The whole grid: shard 0 of 1.</summary>
    public static PatchShard Whole { get; } = new(0, 1);

    public bool IsWhole => Count == 1;

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>"K/N" (0 &lt;= K &lt; N), as <c>--shard</c> takes it.</summary>
    public static PatchShard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new IclException($"'{text}' is not a shard: write K/N, shard K (0 to N-1) of N, e.g. 0/4, " +
                "or 'auto' to take it from the scheduler.");
        return new PatchShard(k, n);
    }

    /// <summary>
    /// The shard a cluster scheduler started this process as, and a sentence saying where it came
    /// from: Slurm job arrays (<c>SLURM_ARRAY_TASK_ID</c> with <c>SLURM_ARRAY_TASK_MIN</c>/<c>MAX</c>,
    /// or <c>SLURM_ARRAY_TASK_COUNT</c> for an array starting at 0), else a Kubernetes Indexed Job
    /// (<c>JOB_COMPLETION_INDEX</c>, with <paramref name="count"/> = the Job's completions, which
    /// the pod cannot see). With <paramref name="count"/> given, a Slurm task id is the shard
    /// number itself, so that one failed task rerun alone (<c>sbatch --array=3</c>) is still shard 3.
    /// </summary>
    public static (PatchShard Shard, string Source) FromEnvironment(IDictionary environment, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment[name] as string is { Length: > 0 } v ? v : null;
        int Int(string name) => int.TryParse(Get(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v
            : throw new IclException($"{name}='{Get(name)}' is not a whole number; --shard auto reads the scheduler's variables.");
        if (Get("SLURM_ARRAY_TASK_ID") is not null)
        {
            int id = Int("SLURM_ARRAY_TASK_ID");
            // With the count given, the task id is the shard: a rerun of one task (sbatch --array=3) keeps its number.
            if (count is { } n)
                return (new PatchShard(id, n), $"Slurm array task {id} (SLURM_ARRAY_TASK_ID) of {n} (--shard-count)");
            if (Get("SLURM_ARRAY_TASK_MIN") is not null && Get("SLURM_ARRAY_TASK_MAX") is not null)
            {
                int min = Int("SLURM_ARRAY_TASK_MIN"), max = Int("SLURM_ARRAY_TASK_MAX");
                if (Get("SLURM_ARRAY_TASK_STEP") is { } step && step != "1")
                    throw new IclException($"The Slurm array steps by {step}; " +
                        $"--shard auto needs a contiguous array such as --array=0-{max - min}, or --shard-count.");
                if (id < min || id > max) throw new IclException($"SLURM_ARRAY_TASK_ID {id} lies outside the array {min}-{max}.");
                return (new PatchShard(id - min, max - min + 1), $"Slurm array task {id} of {min}-{max} (SLURM_ARRAY_TASK_ID, _MIN, _MAX)");
            }
            if (Get("SLURM_ARRAY_TASK_COUNT") is not null)
            {
                var shard = new PatchShard(id, Int("SLURM_ARRAY_TASK_COUNT"));
                return (shard, $"Slurm array task {id} of {shard.Count} (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)");
            }
            throw new IclException("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_MIN/MAX nor SLURM_ARRAY_TASK_COUNT is; " +
                "run the job as an array (sbatch --array=0-N) or pass --shard-count.");
        }
        if (Get("JOB_COMPLETION_INDEX") is not null)
        {
            if (count is not { } n)
                throw new IclException("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the shard count is not: " +
                    "pass --shard-count with the Job's completions.");
            int index = Int("JOB_COMPLETION_INDEX");
            return (new PatchShard(index, n), $"Kubernetes Indexed Job completion {index} of {n} (JOB_COMPLETION_INDEX, --shard-count)");
        }
        throw new IclException("--shard auto found no scheduler: neither SLURM_ARRAY_TASK_ID (a Slurm job array) " +
            "nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; pass --shard K/N instead.");
    }

    /// <summary>
    /// The stretch [Start, End) of <paramref name="costs"/> (the grid's work units in plan order)
    /// this shard runs: the grid is cut into <see cref="Count"/> contiguous stretches, each cut
    /// where the running cost comes nearest to an equal share. The same costs always give the same
    /// cuts, so the shards together run every unit exactly once.
    /// </summary>
    public (int Start, int End) Split(IReadOnlyList<double> costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        var cuts = Cuts(costs, Count);
        return (cuts[Index], cuts[Index + 1]);
    }

    /// <summary>Count + 1 cut points, 0 = cuts[0] &lt;= ... &lt;= cuts[Count] = costs.Count.</summary>
    private static int[] Cuts(IReadOnlyList<double> costs, int count)
    {
        var prefix = new double[costs.Count + 1];
        for (int i = 0; i < costs.Count; i++)
        {
            if (!(costs[i] >= 0) || double.IsInfinity(costs[i]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Work unit {i} has cost {costs[i]}."), nameof(costs));
            prefix[i + 1] = prefix[i] + costs[i];
        }
        var cuts = new int[count + 1];
        cuts[count] = costs.Count;
        int at = 0;
        for (int k = 1; k < count; k++)
        {
            double goal = prefix[^1] * k / count;
            while (at < costs.Count && prefix[at + 1] <= goal) at++;
            // prefix[at] <= goal < prefix[at + 1]: cut before or after unit `at`, whichever is nearer.
            if (at < costs.Count && prefix[at + 1] - goal < goal - prefix[at]) at++;
            cuts[k] = at;
        }
        return cuts;
    }
}
