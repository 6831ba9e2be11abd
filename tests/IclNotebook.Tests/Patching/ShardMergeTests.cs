using System.Text.Json;
using IclNotebook.Patching;
using IclNotebook.Tests.Families;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// A grid run as N shards (each shard planned independently, as on N machines, and read back from
/// its JSON) merges into exactly the unsharded result: every shard runs whole batched forwards of
/// the unsharded plan, so the values are bitwise equal, not just close.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public class ShardMergeTests(PatchingFixture gpt2, FamilyFixture families) : IClassFixture<PatchingFixture>, IClassFixture<FamilyFixture>
{
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        // Sharding is the planner's, whatever the family: the families take two targets, GPT-2 a third whose plan has the most
        // units (attn_head_out_by_pos: 23 s here, 20-105 s on a family fixture, the 152k-vocabulary Qwen2 the slowest).
        foreach (var model in new[] { "tiny-gpt2", "tiny-neox-a", "tiny-llama-a", "tiny-qwen2-a" })
            foreach (var target in new[] { "resid_pre", "attn_head_all_pos_every" })
                data.Add(model, "fast", target);
        data.Add("tiny-gpt2", "fast", "attn_head_out_by_pos");
        foreach (var target in new[] { "resid_pre", "attn_head_all_pos_every" })
            data.Add("tiny-gpt2", "reference", target);
        return data;
    }

    private PatchingSetup Setup(string model) => model == "tiny-gpt2" ? gpt2.GoldenSetup("processed") : families.Setup(model, "processed");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Merged_shards_equal_the_unsharded_run_bitwise(string model, string engineName, string targetName)
    {
        var setup = Setup(model);
        var set = PatchTargets.Find(targetName);
        var whole = EngineGoldenTests.Engine(engineName).Run(setup, set);
        // GPT-2 takes three shard counts; the family fixtures one (their grids cost 20-105 s a run: each count is a run more).
        foreach (int n in model == "tiny-gpt2" ? new[] { 2, 3, 7 } : [3])
        {
            var shards = Enumerable.Range(0, n)
                .Select(k => EngineGoldenTests.Engine(engineName).RunShard(setup, set, new PatchShard(k, n)))
                .Select(s => PatchResultShard.FromJson(JsonDocument.Parse(s.ToJson()).RootElement, "test"))
                .Reverse() // the merge does not rely on the order it is given
                .ToList();
            Assert.Equal(whole.Values.Count, shards.Sum(s => s.Indices.Count));
            var merged = PatchResult.Merge(shards);
            Assert.Equal(whole.Shape, merged.Shape);
            Assert.Equal(whole.Settings, merged.Settings);
            Assert.Equal(whole.CleanBaseline, merged.CleanBaseline);
            for (int i = 0; i < whole.Values.Count; i++)
                Assert.True(whole.Values[i] == merged.Values[i], $"{model} {targetName} N={n}: index {i}: merged {merged.Values[i]:R}, unsharded {whole.Values[i]:R}");
            Assert.Equal(whole.ForwardPasses, merged.ForwardPasses);
        }
    }

    [Fact]
    public void Shards_share_the_work_by_cost_and_a_patch_in_a_late_layer_costs_less()
    {
        var setup = Setup("tiny-gpt2");
        var target = PatchTargets.ResidPre;
        var units = new FastEngine().Plan(setup, target);
        int nPos = setup.NPos, layers = setup.Model.Config.NLayers;
        // Cost per patch, layer 0 vs the last layer (2 layers here: two blocks + unembedding vs one + unembedding, measured 1.39x).
        double PerPatch(int layer) => units.Where(u => u.Forwards > 0 && u.Flats.All(f => f / nPos == layer)).Sum(u => u.Flop)
            / units.Where(u => u.Forwards > 0 && u.Flats.All(f => f / nPos == layer)).Sum(u => u.Flats.Length);
        Assert.True(PerPatch(0) > 1.2 * PerPatch(layers - 1), $"per-patch cost: layer 0 {PerPatch(0)}, layer {layers - 1} {PerPatch(layers - 1)}");

        var shards = Enumerable.Range(0, 3).Select(k => new FastEngine().RunShard(setup, PatchTargetSet.Of(target), new PatchShard(k, 3))).ToList();
        Assert.All(shards, s => Assert.True(s.Gflop > 0, $"shard {s.ShardIndex} got no work"));
        double max = shards.Max(s => s.Gflop), min = shards.Min(s => s.Gflop), largest = units.Max(u => u.Flop) / 1e9;
        Assert.True(max - min <= 2 * largest, $"shard GFLOP {string.Join(", ", shards.Select(s => s.Gflop))}, largest unit {largest}");
    }
}
