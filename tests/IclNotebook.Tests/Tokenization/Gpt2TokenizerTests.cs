using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Tokenization;

public class Gpt2TokenizerTests
{
    private static readonly Gpt2Tokenizer Tok = new Gpt2Tokenizer();

    [Fact]
    public void Encodes_like_gpt2()
    {
        Assert.Equal([15496, 995], Tok.Encode("Hello world"));
        Assert.Equal(3967, Tok.ToSingleToken(" positive"));
        Assert.Equal(4633, Tok.ToSingleToken(" negative"));
        Assert.Equal(8500, Tok.ToSingleToken(" neutral"));
        Assert.Equal(7668, Tok.ToSingleToken(" mixed"));
    }

    [Fact]
    public void ToTokens_prepends_bos_and_right_pads()
    {
        var batch = Tok.ToTokens(["Hello world", "Hello"]);
        Assert.Equal([3, 2], batch.Lengths);
        Assert.Equal([2, 1], batch.LastPositions);
        Assert.Equal([[50256L, 15496, 995], [50256L, 15496, 50256]], batch.Padded());
        using var t = batch.ToTensor();
        Assert.Equal([2L, 3], t.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, t.dtype);
    }

    [Fact]
    public void ToStrTokens_gives_each_token_text()
    {
        Assert.Equal(["<|endoftext|>", "Hello", " world"], Tok.ToStrTokens("Hello world"));
        Assert.Equal(["Hello", " world"], Tok.ToStrTokens("Hello world", prependBos: false));
    }

    [Fact]
    public void ToSingleToken_names_the_string_and_its_tokens()
    {
        var e = Assert.Throws<IclException>(() => Tok.ToSingleToken(" Sentiment:"));
        Assert.Contains("' Sentiment:' is not a single token", e.Message, StringComparison.Ordinal);
        Assert.Matches(@"becomes \d+ tokens \[", e.Message);

        var noSpace = Assert.Throws<IclException>(() => Tok.ToSingleToken("Sentiment"));
        Assert.Contains("leading space", noSpace.Message, StringComparison.Ordinal);
    }
}
