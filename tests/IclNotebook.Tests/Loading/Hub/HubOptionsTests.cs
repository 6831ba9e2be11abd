using IclNotebook.Loading.Hub;

namespace IclNotebook.Tests.Loading.Hub;

public sealed class HubOptionsTests
{
    private static HubOptions From(params (string Name, string Value)[] env) =>
        HubOptions.FromEnvironment(name => env.FirstOrDefault(e => e.Name == name).Value);

    [Fact]
    public void Defaults_follow_huggingface_hub()
    {
        var options = From();
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        Assert.Equal("https://huggingface.co", options.Endpoint);
        Assert.Null(options.Token);
        Assert.False(options.Offline);
        Assert.Equal(Path.Combine(home, ".cache", "huggingface", "hub"), options.CacheDir);
        Assert.Equal("main", options.Revision);
        Assert.Equal(3, options.MaxRetries);
    }

    [Fact]
    public void Environment_variables_override_the_defaults()
    {
        var options = From(("HF_ENDPOINT", "http://mirror.local/"), ("HF_TOKEN", "hf_x"), ("HF_HUB_OFFLINE", "YES"), ("HF_HOME", "/data/hf"));

        Assert.Equal("http://mirror.local", options.Endpoint);
        Assert.Equal("hf_x", options.Token);
        Assert.True(options.Offline);
        Assert.Equal(Path.Combine("/data/hf", "hub"), options.CacheDir);
        Assert.Equal("/data/hub-cache", From(("HF_HOME", "/data/hf"), ("HF_HUB_CACHE", "/data/hub-cache")).CacheDir);
        Assert.False(From(("HF_HUB_OFFLINE", "0")).Offline);
    }
}
