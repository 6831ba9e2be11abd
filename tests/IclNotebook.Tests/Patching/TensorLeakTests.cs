using IclNotebook.Patching;
using TorchSharp;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// After a full run the number of live tensors on this thread (TorchSharp's dispose-scope
/// statistics) is back where it started: engines free every tensor they create, without relying
/// on the garbage collector.
/// </summary>
public class TensorLeakTests(PatchingFixture fixture) : IClassFixture<PatchingFixture>
{
    [Fact]
    public void Engines_leave_no_live_tensors_behind()
    {
        var setup = fixture.GoldenSetup("raw");
        var sets = new[] { PatchTargetSet.Of(PatchTargets.ResidPre), PatchTargets.AttnHeadAllPosEvery };
        setup.Caches.Ensure(sets.SelectMany(s => s.Parts).Append(PatchTargets.HeadKAllPos).Append(PatchTargets.HeadVAllPos).SelectMany(t => t.HookNames(setup.Model.Config)));

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        foreach (var set in sets)
        {
            new FastEngine().Run(setup, set);
            new FastEngine(new FastEngineOptions { PackSharedPrefix = false }).Run(setup, set);
        }
        new ReferenceEngine().Run(setup, PatchTargets.HeadOutAllPos);
        AttributionPatching.Run(setup, sets);
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(before, after);
    }
}
