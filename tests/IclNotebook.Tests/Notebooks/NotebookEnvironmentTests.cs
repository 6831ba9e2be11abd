using IclNotebook.Notebooks;

namespace IclNotebook.Tests.Notebooks;

/// <summary>The ICL_* variables the notebooks read, given to <see cref="NotebookSettings.FromEnvironment"/> as a lookup (the process's own environment is left alone).</summary>
public class NotebookEnvironmentTests
{
    private static NotebookSettings Settings(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return NotebookSettings.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Model_and_task_default_to_gpt2_and_the_repository_task_and_follow_the_variables()
    {
        var defaults = Settings(("ICL_MODEL", "  "));                                    // blank counts as unset
        Assert.Equal("gpt2", defaults.Model);
        Assert.Equal(("pythia-160m", "main", (string?)null), (defaults.Pythia, defaults.PythiaRevision, defaults.Device));
        Assert.EndsWith(Path.Combine("data", "tasks", "sentiment.json"), defaults.TaskPath, StringComparison.Ordinal);
        var given = Settings(("ICL_MODEL", " distilgpt2 "), ("ICL_TASK", "/some/task.json"), ("ICL_PYTHIA_REVISION", "step3000"), ("ICL_DEVICE", "cpu"));
        Assert.Equal(("distilgpt2", "/some/task.json", "step3000", "cpu"), (given.Model, given.TaskPath, given.PythiaRevision, given.Device));
    }

    [Fact]
    public async Task An_unknown_device_is_refused_before_loading()
    {
        var e = await Assert.ThrowsAsync<IclException>(() => Notebook.LoadModelAsync(Fixtures.TinyModel, settings: Settings(("ICL_DEVICE", "tpu"))));
        Assert.Contains("must be 'cpu' or 'cuda' (--device, ICL_DEVICE), got 'tpu'", e.Message, StringComparison.Ordinal);
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
        var e = await Assert.ThrowsAsync<IclException>(() => Notebook.LoadModelAsync(Fixtures.TinyModel, settings: Settings(("ICL_DEVICE", "cuda"))));
        Assert.Contains("CUDA is not available", e.Message, StringComparison.Ordinal);
        Assert.Contains("Reference TorchSharp-cuda-linux/-windows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task The_cpu_device_loads_and_says_so() => The_device_loads_and_says_so("cpu");

    private static async Task The_device_loads_and_says_so(string device)
    {
        using var output = new StringWriter();
        using var model = await Notebook.LoadModelAsync(Fixtures.TinyModel, settings: Settings(("ICL_DEVICE", device)), output: output);
        Assert.Equal("tiny-gpt2-a", model.Config.Name);
        Assert.Contains("Loaded tiny-gpt2-a: 2 layers x 4 heads", output.ToString(), StringComparison.Ordinal);
        Assert.Contains($", on {device} (local folder ", output.ToString(), StringComparison.Ordinal);
    }
}
