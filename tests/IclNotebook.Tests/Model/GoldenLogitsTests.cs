using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>Token ids, final logits and log-probs against TransformerLens (1e-4 absolute).</summary>
public class GoldenLogitsTests(ModelFixture fixture) : IClassFixture<ModelFixture>
{
    private const double Tol = 1e-4;

    [Theory]
    [InlineData("clean")]
    [InlineData("corrupted")]
    public void Tokenizer_reproduces_the_fixture_token_ids_exactly(string which)
    {
        var prompts = Fixtures.Json(Fixtures.Prompts).GetProperty($"{which}_prompts").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var batch = new Gpt2Tokenizer().ToTokens(prompts);
        var golden = Fixtures.Json(Fixtures.Golden("processed")).GetProperty("tokens");
        Assert.Equal(Fixtures.LongRows(golden.GetProperty(which)), batch.Padded());
        Assert.Equal(golden.GetProperty($"{which}_lengths").EnumerateArray().Select(e => e.GetInt32()), batch.Lengths);
    }

    [Theory]
    [InlineData("processed", "clean")]
    [InlineData("processed", "corrupted")]
    [InlineData("raw", "clean")]
    [InlineData("raw", "corrupted")]
    public void Label_logits_and_log_probs_match(string processing, string which)
    {
        var golden = Fixtures.Json(Fixtures.Golden(processing));
        var labels = golden.GetProperty("label_token_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var model = fixture.Get(ModelFixture.Parse(processing));
        using var tokens = ModelFixture.Tokens(which);
        using var logits = model.Run(tokens);                       // [batch, pos, d_vocab]
        Assert.Equal([4L, 139, 50257], logits.shape);

        var final = golden.GetProperty("final_logits");
        foreach (var (key, positions) in new[] { (which, Enumerable.Repeat(138L, 4).ToArray()), ($"{which}_true_last", final.GetProperty($"{which}_true_last").GetProperty("positions").EnumerateArray().Select(e => e.GetInt64()).ToArray()) })
        {
            var g = final.GetProperty(key);
            for (int b = 0; b < 4; b++)
            {
                using var row = logits[b, positions[b]].to(float64);   // [d_vocab]
                using var logProbs = row.log_softmax(-1);
                var expectedLogits = Fixtures.Doubles(g.GetProperty("label_logits")[b]);
                var expectedLogProbs = Fixtures.Doubles(g.GetProperty("label_log_softmax")[b]);
                TensorAssert.Close(expectedLogits, labels.Select(id => row[id].item<double>()).ToArray(), Tol, $"{key} prompt {b}: label logits");
                TensorAssert.Close(expectedLogProbs, labels.Select(id => logProbs[id].item<double>()).ToArray(), Tol,
                    $"{key} prompt {b}: label log-probs");
                Assert.Equal(g.GetProperty("argmax")[b].GetInt64(), row.argmax().item<long>());
                Assert.Equal(g.GetProperty("max_logit")[b].GetDouble(), row.max().item<double>(), Tol);
                Assert.Equal(g.GetProperty("logsumexp")[b].GetDouble(), row.logsumexp(0).item<double>(), Tol);
            }
        }
    }

    [Fact]
    public void Full_logits_row_matches()
    {
        var expected = Fixtures.Doubles(Fixtures.Json(Fixtures.Golden("processed")).GetProperty("full_logits_row_clean_b0_last"));
        var model = fixture.Get(WeightProcessing.Default);
        using var tokens = ModelFixture.Tokens("clean");
        using var logits = model.Run(tokens);
        var row = logits[0, -1].to(float64).data<double>().ToArray();
        TensorAssert.Close(expected, row, Tol, "TL's and our logits");
    }

    [Fact]
    public void Unembedding_chosen_positions_equals_reading_full_logits()
    {
        var model = fixture.Get(WeightProcessing.Default);
        using var tokens = ModelFixture.Tokens("clean");
        using var full = model.Run(tokens);
        using var positions = tensor(new long[] { 138, 136, 135, 131 });
        using var chosen = model.Run(tokens, new ForwardOptions { UnembedPositions = positions });
        Assert.Equal([4L, 50257], chosen.shape);
        for (int b = 0; b < 4; b++)
            Assert.True(chosen[b].allclose(full[b, positions[b].item<long>()], rtol: 0, atol: 1e-5));
    }
}
