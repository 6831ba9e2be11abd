using System.Globalization;
using IclNotebook.Loading.Hub;

namespace IclNotebook.Tests.Loading.Hub;

public sealed class HubClientTests : HubTestContext
{
    [Fact]
    public async Task Clean_download_writes_the_huggingface_hub_cache_layout_and_reports_progress()
    {
        using var client = NewClient();
        var progress = new ProgressLog();

        var config = await client.DownloadAsync(Repo, "config.json", progress, default);
        var weights = await client.DownloadAsync(Repo, "model.safetensors", progress, default);

        Assert.Equal(Path.Combine(RepoDir, "snapshots", Hub.Commit, "config.json"), config);
        Assert.Equal(Path.Combine(RepoDir, "snapshots", Hub.Commit, "model.safetensors"), weights);
        Assert.Equal(Hub.Commit, File.ReadAllText(Path.Combine(RepoDir, "refs", "main")));
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(RepoDir, "blobs", WeightsSha)));
        Assert.Equal(Config, File.ReadAllBytes(Path.Combine(RepoDir, "blobs", LoopbackHub.GitBlobSha1(Config))));
        Assert.Equal($"../../blobs/{WeightsSha}", new FileInfo(weights).LinkTarget);
        Assert.Equal(Weights, File.ReadAllBytes(weights));
        Assert.Equal(Config, File.ReadAllBytes(config));
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoDir, "blobs"), "*.incomplete"));

        var last = progress.Reports.Last(p => p.Task == "model.safetensors");
        Assert.Equal(new IclNotebook.Progress.WorkProgress("model.safetensors", Weights.Length, Weights.Length, IclNotebook.Progress.WorkProgress.Bytes), last);
        Assert.All(progress.Reports, p => Assert.InRange(p.Done, 0, p.Total));

        // The LFS file came from the CDN path the hub redirected to.
        Assert.Contains(Hub.Requests, r => r.Method == "GET" && r.Path == $"/cdn/{WeightsSha}");
        AssertCacheHasNoCorruptFile();
    }

    [Fact]
    public async Task Second_call_is_answered_from_the_cache_without_a_request()
    {
        using var client = NewClient();
        var first = await client.DownloadAsync(Repo, "model.safetensors", null, default);
        int requests = RequestCount;

        var second = await client.DownloadAsync(Repo, "model.safetensors", null, default);
        using var fresh = NewClient();
        var third = await fresh.DownloadAsync(Repo, "model.safetensors", Hub.Commit, null, default);

        Assert.Equal(first, second);
        Assert.Equal(first, third);
        Assert.Equal(requests, RequestCount);
    }

    [Fact]
    public async Task Connection_reset_mid_file_resumes_with_a_range_request()
    {
        Hub.FailNextBody(new Fault(FaultKind.Reset, 100_000));
        using var client = NewClient();

        var path = await client.DownloadAsync(Repo, "model.safetensors", null, default);

        Assert.Equal(Weights, File.ReadAllBytes(path));
        var ranged = Assert.Single(Hub.Requests, r => r.Range is not null && r.Path.StartsWith("/cdn/", StringComparison.Ordinal));
        Assert.StartsWith("bytes=", ranged.Range, StringComparison.Ordinal);
        Assert.True(long.Parse(ranged.Range![6..^1], CultureInfo.InvariantCulture) > 0, ranged.Range);
        AssertCacheHasNoCorruptFile();
    }

    [Theory]
    [InlineData(FaultKind.Truncate)]
    [InlineData(FaultKind.ShortBody)]
    public async Task Truncated_body_is_retried_and_completed(FaultKind kind)
    {
        Hub.FailNextBody(new Fault(kind, 50_000));
        using var client = NewClient();

        var path = await client.DownloadAsync(Repo, "model.safetensors", null, default);

        Assert.Equal(Weights, File.ReadAllBytes(path));
        Assert.Equal(2, Hub.Requests.Count(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)));
        AssertCacheHasNoCorruptFile();
    }

    [Fact]
    public async Task Server_errors_are_retried_for_the_metadata_and_the_body()
    {
        Hub.FailNextHead(new Fault(FaultKind.ServerError));
        Hub.FailNextBody(new Fault(FaultKind.ServerError), new Fault(FaultKind.ServerError));
        using var client = NewClient();

        var path = await client.DownloadAsync(Repo, "model.safetensors", null, default);

        Assert.Equal(Weights, File.ReadAllBytes(path));
        AssertCacheHasNoCorruptFile();
    }

    [Fact]
    public async Task Persistent_server_errors_give_up_after_max_retries_with_one_clear_line()
    {
        Hub.FailNextBody(Enumerable.Repeat(new Fault(FaultKind.ServerError), 4).ToArray());
        using var client = NewClient();

        var e = await Assert.ThrowsAsync<IclException>(() => client.DownloadAsync(Repo, "model.safetensors", null, default));

        Assert.Contains("after 4 attempts", e.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", e.Message, StringComparison.Ordinal);
        Assert.Contains($"/cdn/{WeightsSha}", e.Message, StringComparison.Ordinal);
        AssertOneLine(e);
        Assert.False(File.Exists(Path.Combine(RepoDir, "blobs", WeightsSha)));
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "snapshots")));
        AssertCacheHasNoCorruptFile();
    }

    [Fact]
    public async Task A_failed_run_leaves_only_an_incomplete_file_that_the_next_run_resumes()
    {
        Hub.FailNextBody(Enumerable.Repeat(new Fault(FaultKind.Reset, 20_000), 4).ToArray());
        using var client = NewClient(Options with { MaxRetries = 3 });

        var e = await Assert.ThrowsAsync<IclException>(() => client.DownloadAsync(Repo, "model.safetensors", null, default));

        AssertOneLine(e);
        Assert.Contains("next run resumes", e.Message, StringComparison.Ordinal);
        var incomplete = Path.Combine(RepoDir, "blobs", WeightsSha + ".incomplete");
        Assert.True(new FileInfo(incomplete).Length > 0);
        Assert.False(File.Exists(Path.Combine(RepoDir, "blobs", WeightsSha)));
        AssertCacheHasNoCorruptFile();

        var path = await client.DownloadAsync(Repo, "model.safetensors", null, default);

        Assert.Equal(Weights, File.ReadAllBytes(path));
        Assert.False(File.Exists(incomplete));
        Assert.StartsWith("bytes=", Hub.Requests.Last(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)).Range, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_sha256_is_refused_and_nothing_is_left_in_the_cache()
    {
        Hub.FailNextBody(new Fault(FaultKind.WrongBytes));
        using var client = NewClient();

        var e = await Assert.ThrowsAsync<IclException>(() => client.DownloadAsync(Repo, "model.safetensors", null, default));

        Assert.Contains("sha256", e.Message, StringComparison.Ordinal);
        Assert.Contains(WeightsSha, e.Message, StringComparison.Ordinal);
        Assert.Contains($"/resolve/{Hub.Commit}/model.safetensors", e.Message, StringComparison.Ordinal);
        AssertOneLine(e);
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoDir, "blobs")));
        Assert.False(Directory.Exists(Path.Combine(RepoDir, "snapshots")));
        Assert.False(File.Exists(Path.Combine(RepoDir, "refs", "main")));
    }

    [Fact]
    public async Task Offline_returns_the_cached_file_without_any_request()
    {
        using (var online = NewClient()) await online.DownloadAsync(Repo, "config.json", null, default);
        int requests = RequestCount;
        using var offline = NewClient(Options with { Offline = true });

        var path = await offline.DownloadAsync(Repo, "config.json", null, default);

        Assert.Equal(Config, File.ReadAllBytes(path));
        Assert.Equal(requests, RequestCount);
    }

    [Fact]
    public async Task Offline_without_a_cached_copy_says_where_it_looked_and_how_to_fix_it()
    {
        using var offline = NewClient(Options with { Offline = true });

        var e = await Assert.ThrowsAsync<IclException>(() => offline.DownloadAsync(Repo, "model.safetensors", null, default));

        Assert.Contains("not in the cache at " + RepoDir, e.Message, StringComparison.Ordinal);
        Assert.Contains("HF_HUB_OFFLINE", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
        AssertOneLine(e);
        Assert.Equal(0, RequestCount);
    }

    [Fact]
    public async Task Not_found_names_the_repo_file_and_revision()
    {
        using var client = NewClient();

        var e = await Assert.ThrowsAsync<IclException>(() => client.DownloadAsync("nobody/missing", "config.json", "v2", null, default));

        Assert.Contains("404", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{Hub.Endpoint}/nobody/missing/resolve/v2/config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("'nobody/missing'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'v2'", e.Message, StringComparison.Ordinal);
        AssertOneLine(e);
        Assert.False(Directory.Exists(Path.Combine(CacheDir, "models--nobody--missing", "snapshots")));
    }

    [Fact]
    public async Task Gated_repo_without_a_token_asks_for_HF_TOKEN_and_works_with_one()
    {
        Hub.Gate(Repo);
        using var anonymous = NewClient();

        var e = await Assert.ThrowsAsync<IclException>(() => anonymous.DownloadAsync(Repo, "config.json", null, default));

        Assert.Contains("401", e.Message, StringComparison.Ordinal);
        Assert.Contains("gated or private", e.Message, StringComparison.Ordinal);
        Assert.Contains("HF_TOKEN", e.Message, StringComparison.Ordinal);
        Assert.Contains("/resolve/main/config.json", e.Message, StringComparison.Ordinal);
        AssertOneLine(e);
        AssertCacheHasNoCorruptFile();

        using var authorized = NewClient(Options with { Token = Hub.Token });
        Assert.Equal(Config, File.ReadAllBytes(await authorized.DownloadAsync(Repo, "config.json", null, default)));
    }

    [Fact]
    public async Task Redirect_to_another_host_is_followed_without_the_token()
    {
        Hub.Gate(Repo);
        Hub.CdnHost = "localhost";
        using var client = NewClient(Options with { Token = Hub.Token });

        var path = await client.DownloadAsync(Repo, "model.safetensors", null, default);

        Assert.Equal(Weights, File.ReadAllBytes(path));
        var cdn = Assert.Single(Hub.Requests, r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal));
        Assert.Equal("localhost", cdn.Host);
        Assert.Null(cdn.Authorization);
        Assert.All(Hub.Requests.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal)),
            r => Assert.Equal($"Bearer {Hub.Token}", r.Authorization));
    }

    [Fact]
    public async Task Concurrent_downloads_of_one_blob_fetch_it_once()
    {
        using var a = NewClient();
        using var b = NewClient();

        var paths = await Task.WhenAll(
            a.DownloadAsync(Repo, "model.safetensors", null, default),
            b.DownloadAsync(Repo, "model.safetensors", null, default));

        Assert.Equal(paths[0], paths[1]);
        Assert.Equal(Weights, File.ReadAllBytes(paths[0]));
        Assert.Single(Hub.Requests, r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal));
        AssertCacheHasNoCorruptFile();
    }
}
