using System.Text.RegularExpressions;
using IclNotebook.Patterns;
using IclNotebook.Model;
using IclNotebook.Plots;
using IclNotebook.Tests.Model;
using IclNotebook.Tests.Plots;

namespace IclNotebook.Tests.Patterns;

/// <summary>The attention view holds TransformerLens's pattern, embeds it faithfully, stays offline, and its script works in a real browser.</summary>
public class AttentionViewTests(ModelFixture fixture) : IClassFixture<ModelFixture>
{
    private AttentionView View(int layer = 0)
    {
        var golden = Fixtures.Json(Fixtures.Golden("processed")).GetProperty("tokens");
        var ids = Fixtures.LongRows(golden.GetProperty("clean"))[0].Select(x => (int)x).ToArray();  // prompt 0 is unpadded
        return AttentionView.Run(fixture.Get(WeightProcessing.Default), ids, layer);
    }

    [Fact]
    public void The_view_holds_TransformerLens_pattern_and_the_tokenizers_tokens()
    {
        var view = View();
        var golden = Fixtures.Json(Fixtures.Golden("processed")).GetProperty("blocks.0.attn.hook_pattern[0,:,10,:11]");
        for (int h = 0; h < 4; h++)
            TensorAssert.Close(Enumerable.Range(0, 11).Select(j => Fixtures.Number(golden[h][j])).ToArray(), view.Weights[h][10].Take(11).ToArray(),
                1e-4, $"head {h}, query 10: TransformerLens's and the view's weights");
        Assert.Equal("<|endoftext|>", view.Tokens[0]);
        Assert.Equal("Review", view.Tokens[1]);
        Assert.Equal(139, view.Tokens.Count);
    }

    [Fact]
    public void Html_is_offline_and_embeds_every_weight_in_thousandths()
    {
        var view = View(layer: 1);
        var html = view.ToHtml();
        Assert.DoesNotContain("http", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", html, StringComparison.Ordinal);
        Assert.Equal(4, Regex.Count(html, "data-head=\""));
        Assert.Equal(139, Regex.Count(html, "class=\"tok\""));
        var data = Regex.Match(html, @"var w=\[(.*?)\];").Groups[1].Value;
        var heads = Regex.Matches(data, @"\[([0-9,]*)\]").Select(m => m.Groups[1].Value.Split(',').Select(int.Parse).ToArray()).ToArray();
        Assert.Equal(4, heads.Length);
        for (int h = 0; h < 4; h++)
        {
            Assert.Equal(139 * 140 / 2, heads[h].Length);
            for (int i = 0; i < 139; i += 17)
            {
                var embedded = heads[h].Skip(i * (i + 1) / 2).Take(i + 1).Select(w => w / 1000.0).ToArray();
                TensorAssert.Close(embedded, view.Weights[h][i].Take(i + 1).ToArray(), 5e-4, $"head {h}, query {i}: thousandths and weights");
            }
        }
    }

    [Fact]
    public void The_head_heatmap_is_lower_triangular_with_token_labels()
    {
        var figure = View().HeadHeatmap(2);
        var trace = figure.Data[0]!.AsObject();
        var z = trace["z"]!.AsArray();
        Assert.Equal(139, z.Count);
        Assert.Null(z[3]![4]);
        Assert.NotNull(z[4]![3]);
        Assert.Equal("1: Review", trace["y"]![1]!.GetValue<string>());
        Assert.Throws<IclException>(() => View().HeadHeatmap(4));
    }

    [ChromiumFact]
    [Trait(Lane.Name, Lane.Full)]
    public void Clicking_a_token_colours_where_it_attends_in_chromium()
    {
        Assert.True(PngExport.FindChromium() is not null, "ICL_REQUIRE_PNG=1 but Chromium was not found (install chromium or set ICL_CHROMIUM)");
        var html = View().ToHtml();
        using (var dir = new TempFolder("icl-attn"))
        {
            int Blue(string script)
            {
                var png = dir[$"{Guid.NewGuid():N}.png"];
                PngExport.Screenshot($"<!DOCTYPE html><html><body>{html}<script>{script}</script></body></html>", png, 1200, 900);
                var pixels = PngPixels.Read(png);
                return pixels.CountRows(0, pixels.Height, (r, g, b) => b - r > 25);   // the view's blue at any strength on white
            }
            int idle = Blue(""), clicked = Blue("document.querySelectorAll('.icl-attn .tok')[138].click();");
            Assert.True(clicked > idle + 500, $"blue pixels: {idle} before the click, {clicked} after");
        }
    }
}
