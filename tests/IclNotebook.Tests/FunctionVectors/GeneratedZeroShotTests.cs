using IclNotebook.FunctionVectors;
using IclNotebook.Generation;
using IclNotebook.Hooks;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Tests.FunctionVectors;

/// <summary>The function vector's evaluation by generation against hand-written steering of each prompt alone.</summary>
public class GeneratedZeroShotTests
{
    [Fact]
    public void Each_answer_is_what_adding_the_vector_by_hand_at_the_last_token_of_every_forward_generates()
    {
        using var model = ModelLoader.LoadFolder(ShippedModels.Folder(ShippedModels.Toy));
        var task = IclTask.Load(TaskFiles.Resolve("toy-recall-dataset"));
        var queries = Enumerable.Range(0, 5).ToArray();
        var clean = model.Tokenizer.ToTokens(queries.Select(q => task.PromptText(q, task.DemosOf(q).Count)));
        using var scope = NewDisposeScope();
        var means = HeadMeans.AtLastToken(model, clean);
        var vector = FunctionVector.Build(model, means, [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3)]);
        var prompts = queries.Select(q => task.PromptText(q, 0)).ToArray();
        var expected = queries.Select(q => task.FormatAnswer(task.Queries[q].Label)).ToArray();
        var (without, with) = ZeroShot.Generated(model, prompts, expected, vector, [0, 1]);
        var fv = vector.ToTensor(CPU);
        int budget = GeneratedAnswer.TokenBudget(prompts.Select((p, i) => model.Tokenizer.AnswerTokens(p, expected[i]).Length));
        var options = new GenerationOptions { MaxNewTokens = budget, StopStrings = ["\n"], UseCache = false };
        for (int layer = 0; layer < 2; layer++)
        {
            int changed = 0;
            for (int q = 0; q < prompts.Length; q++)
            {
                var ids = model.Tokenizer.ToTokens([prompts[q]]).Ids[0];
                using var hook = model.Hooks((HookName.ResidPost(layer), (act, _) =>
                {
                    var x = act.clone();                                                       // [1, pos, d_model]
                    for (int p = ids.Length - 1; p < act.shape[1]; p++) x[0, p] = x[0, p].Plus(fv);
                    return x;
                }));
                var byHand = model.Generate([ids], options)[0];
                Assert.Equal(byHand.Text, with[layer][q].Text);
                if (byHand.Text != without[q].Text) changed++;
            }
            Assert.True(changed > 0, $"the vector at layer {layer} changed no answer: the comparison would prove nothing");
        }
        Assert.Equal(GeneratedAnswer.Accuracy(with[1], expected).Mean,
            with[1].Select((c, i) => GeneratedAnswer.Matches(c.Text, expected[i]) ? 1.0 : 0.0).Average(), 12);
    }
}
