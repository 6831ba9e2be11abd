using IclNotebook.Generation;
using IclNotebook.Hooks;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Generation;

/// <summary>Steering hooks by position: the same in a plain forward as by hand, and the same with and without the cache.</summary>
public class SteeringTests
{
    private static readonly int[][] Prompts = [[5, 17, 3], [40, 2, 96, 11, 8, 60, 23], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]];

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void A_steered_generation_is_the_same_with_and_without_the_cache(string family)
    {
        using var model = RandomModels.Create(21, layers: 2, heads: 4, family);
        var options = new GenerationOptions { MaxNewTokens = 8 };
        var plain = model.Generate(Prompts, options);
        manual_seed(3);
        using var direction = randn(model.Config.DModel) * 4;
        foreach (var at in new[] { SteeringPositions.PromptEndAndGenerated, SteeringPositions.Generated, SteeringPositions.At(1, 4) })
        {
            IReadOnlyList<Completion> Steered(bool cache)
            {
                using var steer = model.Steer(HookName.ResidPost(0), direction, at);
                return model.Generate(Prompts, options with { UseCache = cache });
            }
            var cached = Steered(true);
            Assert.Equal(Steered(false).Select(c => c.Tokens), cached.Select(c => c.Tokens));
            Assert.NotEqual(plain.Select(c => c.Tokens), cached.Select(c => c.Tokens));
        }
        Assert.Equal(plain.Select(c => c.Tokens), model.Generate(Prompts, options).Select(c => c.Tokens));   // the scopes left nothing behind
    }

    [Fact]
    public void Per_prompt_vectors_written_over_the_prompt_end_follow_their_prompts_across_batches()
    {
        using var model = RandomModels.Create(22, layers: 2, heads: 4, "llama");
        manual_seed(4);
        using var vectors = randn(Prompts.Length, model.Config.DModel) * 3;                // one row per prompt
        IReadOnlyList<Completion> Run(bool cache, int batch)
        {
            using var overwrite = model.Overwrite(HookName.ResidPre(1), vectors, SteeringPositions.PromptEnd);
            return model.Generate(Prompts, new GenerationOptions { MaxNewTokens = 6, UseCache = cache, BatchSize = batch });
        }
        var reference = Run(false, 3).Select(c => c.Tokens).ToArray();
        Assert.Equal(reference, Run(true, 3).Select(c => c.Tokens));
        Assert.Equal(reference, Run(true, 2).Select(c => c.Tokens));   // the second batch starts at prompt 2 and takes row 2
        for (int r = 0; r < Prompts.Length; r++)
        {
            using var alone = vectors.narrow(0, r, 1);
            using var overwrite = model.Overwrite(HookName.ResidPre(1), alone, SteeringPositions.PromptEnd);
            Assert.Equal(reference[r], model.Generate([Prompts[r]], new GenerationOptions { MaxNewTokens = 6 })[0].Tokens);
        }
    }

    [Fact]
    public void In_a_plain_forward_it_adds_at_the_positions_given()
    {
        using var model = RandomModels.Create(23, layers: 2, heads: 4, "gpt2");
        using var tokens = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, [2, 6]);
        using var v = ones(model.Config.DModel) * 0.5;
        Tensor steered;
        using (model.Steer(HookName.ResidPre(1), v, SteeringPositions.At(2, 4), scale: 2))
            steered = model.Run(tokens);
        using var byHand = model.Hooks((HookName.ResidPre(1), (act, _) =>
        {
            var x = act.clone();
            x[.., 2] += 1.0;
            x[.., 4] += 1.0;
            return x;
        }));
        using var expected = model.Run(tokens);
        TensorAssert.Close(expected, steered, 1e-6, "steered logits");
        var e = Assert.Throws<IclException>(() =>
        {
            using var wrong = model.Steer(HookName.ResidPre(1), ones(5), SteeringPositions.All);
            model.Run(tokens);
        });
        Assert.Contains("does not fit 'blocks.1.hook_resid_pre' [2, 6, 32]", e.Message, StringComparison.Ordinal);
        var pattern = Assert.Throws<IclException>(() => model.Steer(HookName.Pattern(0), v, SteeringPositions.All));
        Assert.Contains("its second axis is not the token position", pattern.Message, StringComparison.Ordinal);
        steered.Dispose();
    }
}
