using IclNotebook.Notebooks;

namespace IclNotebook.Tests.Notebooks;

/// <summary>The environment variables the notebooks read. Only these tests set them (process-wide), one at a time.</summary>
[Collection("notebooks")] // not beside NotebookRunTests: their child processes inherit this process's environment
public class NotebookEnvironmentTests
{
    [Fact]
    public void Model_and_task_default_to_gpt2_and_the_repository_task_and_follow_the_variables()
    {
        var saved = (Environment.GetEnvironmentVariable("ICL_MODEL"), Environment.GetEnvironmentVariable("ICL_TASK"));
        try
        {
            Environment.SetEnvironmentVariable("ICL_MODEL", null);
            Environment.SetEnvironmentVariable("ICL_TASK", null);
            Assert.Equal("gpt2", Notebook.ModelName);
            Assert.EndsWith(Path.Combine("data", "tasks", "sentiment.json"), Notebook.TaskPath, StringComparison.Ordinal);
            Environment.SetEnvironmentVariable("ICL_MODEL", " distilgpt2 ");
            Environment.SetEnvironmentVariable("ICL_TASK", "/some/task.json");
            Assert.Equal("distilgpt2", Notebook.ModelName);
            Assert.Equal("/some/task.json", Notebook.TaskPath);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ICL_MODEL", saved.Item1);
            Environment.SetEnvironmentVariable("ICL_TASK", saved.Item2);
        }
    }

    [Theory]
    [InlineData("cuda", "CUDA is not available")]
    [InlineData("tpu", "must be 'cpu' or 'cuda' (--device, ICL_DEVICE), got 'tpu'")]
    public async Task A_device_this_build_cannot_use_is_refused_before_loading(string device, string message)
    {
        Environment.SetEnvironmentVariable("ICL_DEVICE", device);
        try
        {
            var e = await Assert.ThrowsAsync<IclException>(() => Notebook.LoadModelAsync(Fixtures.TinyModel));
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ICL_DEVICE", null);
        }
    }

    [Fact]
    public async Task The_cpu_device_loads_and_says_so()
    {
        Environment.SetEnvironmentVariable("ICL_DEVICE", "cpu");
        var output = new StringWriter();
        var previous = Console.Out;
        try
        {
            Console.SetOut(output);
            var model = await Notebook.LoadModelAsync(Fixtures.TinyModel);
            Assert.Equal("tiny-gpt2-a", model.Config.Name);
        }
        finally
        {
            Console.SetOut(previous);
            Environment.SetEnvironmentVariable("ICL_DEVICE", null);
        }
        Assert.Contains("Loaded tiny-gpt2-a: 2 layers x 4 heads", output.ToString(), StringComparison.Ordinal);
        Assert.Contains(", on cpu (local folder ", output.ToString(), StringComparison.Ordinal);
    }
}
