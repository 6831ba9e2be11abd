using IclNotebook.Progress;

namespace IclNotebook.Tests.Progress;

/// <summary>The one progress model (counts, rate, time left) and its plain-lines renderer.</summary>
public class ProgressTests
{
    private sealed class FakeClock
    {
        public TimeSpan Now { get; set; }
    }

    [Fact]
    public void Rate_and_time_left_count_only_work_done_after_the_task_started()
    {
        var clock = new FakeClock();
        var meter = new ProgressMeter(() => clock.Now);
        var first = meter.Update(new WorkProgress("resid_pre", 10, 110, WorkProgress.Patches)); // 10 no-op patches, done at once
        Assert.True(first.IsNewTask);
        Assert.False(double.IsFinite(first.PerSecond));
        Assert.Null(first.Remaining);
        clock.Now = TimeSpan.FromSeconds(2);
        var later = meter.Update(new WorkProgress("resid_pre", 30, 110, WorkProgress.Patches));
        Assert.False(later.IsNewTask);
        Assert.Equal(10.0, later.PerSecond, 9);                       // 20 patches in 2 s, not 30
        Assert.Equal(TimeSpan.FromSeconds(8), later.Remaining);       // 80 left at 10/s
        Assert.Equal("30/110 patches", later.Counts);
        Assert.Equal("10.0 patches/s", later.Rate);
        Assert.Equal("about 8.0 s left", later.Left);
        clock.Now = TimeSpan.FromSeconds(3);
        var next = meter.Update(new WorkProgress("attn_head_out_all_pos", 0, 4, WorkProgress.Patches));
        Assert.True(next.IsNewTask);
        Assert.Equal(TimeSpan.Zero, next.Elapsed);
    }

    [Fact]
    public void Bytes_show_as_megabytes_and_long_times_in_minutes()
    {
        var clock = new FakeClock();
        var meter = new ProgressMeter(() => clock.Now);
        meter.Update(new WorkProgress("model.safetensors", 0, 500_000_000, WorkProgress.Bytes));
        clock.Now = TimeSpan.FromSeconds(10);
        var s = meter.Update(new WorkProgress("model.safetensors", 50_000_000, 500_000_000, WorkProgress.Bytes));
        Assert.Equal("50.0/500.0 MB", s.Counts);
        Assert.Equal("5.0 MB/s", s.Rate);
        Assert.Equal("about 1 min 30 s left", s.Left);
    }

    [Fact]
    public void Lines_one_per_tenth_of_each_task_and_one_per_stage()
    {
        var writer = new StringWriter();
        var clock = new FakeClock();
        var progress = new ProgressLines(writer, new ProgressMeter(() => clock.Now));
        progress.Report(WorkProgress.Stage("load model"));
        for (int done = 0; done <= 50; done++)
        {
            clock.Now = TimeSpan.FromSeconds(done);
            progress.Report(new WorkProgress("resid_pre", done, 50, WorkProgress.Patches));
        }
        progress.Report(new WorkProgress("attn_head_out_all_pos", 3, 4, WorkProgress.Patches)); // a new target starts its own count
        progress.Report(new WorkProgress("attn_head_out_all_pos", 4, 4, WorkProgress.Patches));
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + 11 + 2, lines.Length);
        Assert.Equal("load model...", lines[0].TrimEnd('\r'));
        Assert.StartsWith("resid_pre:   0% (0/50 patches, 0.0 s", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("resid_pre:  50% (25/50 patches, 25.0 s, 1.0 patches/s, about 25.0 s left)", lines[6], StringComparison.Ordinal);
        Assert.StartsWith("resid_pre: 100% (50/50 patches, 50.0 s, 1.0 patches/s)", lines[11], StringComparison.Ordinal);
        Assert.StartsWith("attn_head_out_all_pos:  70% (3/4 patches", lines[12], StringComparison.Ordinal);
    }
}
