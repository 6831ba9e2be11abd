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

    [Fact]
    public async Task An_unknown_device_is_refused_before_loading()
    {
        Environment.SetEnvironmentVariable("ICL_DEVICE", "tpu");
        try
        {
            var e = await Assert.ThrowsAsync<IclException>(() => Notebook.LoadModelAsync(Fixtures.TinyModel));
            Assert.Contains("must be 'cpu' or 'cuda' (--device, ICL_DEVICE), got 'tpu'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ICL_DEVICE", null);
        }
    }

    /// <summary>Holds on both builds: cuda is used where this build and machine have it, and refused with the fix elsewhere.</summary>
    [Fact]
    public async Task Cuda_is_used_where_available_and_refused_with_the_fix_elsewhere()
    {
        IclNotebook.Runtime.TorchRuntime.EnsureLoaded();
        if (TorchSharp.torch.cuda.is_available())
        {
            await The_device_loads_and_says_so("cuda");
            return;
        }
        Environment.SetEnvironmentVariable("ICL_DEVICE", "cuda");
        try
        {
            var e = await Assert.ThrowsAsync<IclException>(() => Notebook.LoadModelAsync(Fixtures.TinyModel));
            Assert.Contains("CUDA is not available", e.Message, StringComparison.Ordinal);
            Assert.Contains("Reference TorchSharp-cuda-linux/-windows", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ICL_DEVICE", null);
        }
    }

    [Fact]
    public Task The_cpu_device_loads_and_says_so() => The_device_loads_and_says_so("cpu");

    private static async Task The_device_loads_and_says_so(string device)
    {
        Environment.SetEnvironmentVariable("ICL_DEVICE", device);
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
        Assert.Contains($", on {device} (local folder ", output.ToString(), StringComparison.Ordinal);
    }
}
