using System.CommandLine;
using System.Globalization;
using IclNotebook.Analysis;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Progress;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Commands;

/// <summary>
/// The options and conventions the analyses after the heatmap share with <c>icl analyze</c>
/// (<c>icl lens</c>, <c>heads</c>, <c>fv</c>, <c>anchors</c>): --model, --revision, --task, --out,
/// --processing, --device, --threads, --force, --quiet; the output folder is checked before any work
/// and appears only when complete; the folder's path is printed on stdout.
/// </summary>
internal sealed class StudyCommand
{
    private readonly Option<string> _model = CliOptions.Model();
    private readonly Option<string> _revision = CliOptions.Revision();
    private readonly Option<string?> _task = new("--task") { Description = "task file (default data/tasks/sentiment.json)", HelpName = "FILE" };
    private readonly Option<string?> _out = new("--out") { Description = "output folder (default runs/<command>-<model>-<task>-<yyyyMMdd-HHmmss>)", HelpName = "DIR" };
    private readonly Option<string> _processing;
    private readonly Option<string> _device;
    private readonly Option<int> _threads = CliOptions.PositiveInt("--threads", "torch threads (default: libtorch's choice, all cores)", null);
    private readonly Option<bool> _force = new("--force") { Description = "replace an existing output folder" };
    private readonly Option<bool> _quiet = new("--quiet") { Description = "no progress output" };
    private readonly string _name;
    private readonly bool _needsTask;

    /// <param name="name">The subcommand.</param>
    /// <param name="needsTask">Whether --task defaults to data/tasks/sentiment.json (else it is optional).</param>
    /// <param name="defaultProcessing">The --processing default: "default" (TransformerLens's) or "raw".</param>
    public StudyCommand(string name, bool needsTask, string defaultProcessing = "default")
    {
        _processing = CliOptions.Choice("--processing", "processing",
            defaultProcessing == "raw" ? "the raw checkpoint weights (default) or TransformerLens's weight processing" : "TransformerLens's weight processing (default) or the raw checkpoint weights",
            defaultProcessing, OptionNames.All<WeightProcessing>());
        _name = name;
        _needsTask = needsTask;
        _device = new Option<string>("--device") { Description = "cpu or cuda (needs TorchSharp's CUDA package)", DefaultValueFactory = _ => "cpu", HelpName = "cpu|cuda" }
            .Check(d => ModelSource.ParseDevice(d));
        _device.CompletionSources.Add("cpu", "cuda");
        if (!needsTask) _task.Description = "task file (optional)";
    }

    /// <summary>A command with the shared options, then <paramref name="extra"/>.</summary>
    public Command Create(string description, params Option[] extra)
    {
        var command = new Command(_name, description) { _model, _revision, _task, _out, _processing, _device, _threads, _force, _quiet };
        foreach (var option in extra) command.Options.Add(option);
        return command;
    }

    /// <summary>
    /// Checks the task and the output folder, builds the options, runs <paramref name="work"/> with
    /// progress, writes with <paramref name="write"/> and prints the folder.
    /// </summary>
    public async Task<int> RunAsync<T>(ParseResult parse, Func<StudyOptions, IProgress<WorkProgress>?, Task<T>> work, Action<T, string, bool, Action<string>?> write)
    {
        string? taskPath = parse.GetValue(_task) ?? (_needsTask ? TaskFiles.Default("sentiment") : null);
        if (taskPath is not null)
        {
            if (!File.Exists(taskPath)) throw new IclException($"Task file {Path.GetFullPath(taskPath)} does not exist; pass --task with the path of a task file.");
            IclTask.Load(taskPath);                                                   // a bad task fails before the model loads
        }
        var options = new StudyOptions
        {
            Model = parse.GetValue(_model)!,
            Hub = CliOptions.Hub(parse, _revision),
            TaskPath = taskPath,
            Processing = OptionNames.Parse<WeightProcessing>(parse.GetValue(_processing)!),
            Device = parse.GetValue(_device)!,
        };
        string folder = parse.GetValue(_out) ?? DefaultFolder(options, taskPath);
        bool force = parse.GetValue(_force), quiet = parse.GetValue(_quiet);
        OutputFolder.CheckTarget(folder, force);
        if (parse.GetValue(_threads) is > 0 and var n) set_num_threads(n);
        var result = await TerminalProgress.RunAsync(quiet, progress => work(options, progress)).ConfigureAwait(false);
        write(result, folder, force, quiet ? null : w => Console.Error.WriteLine($"icl: warning: {w}"));
        Console.WriteLine(Path.GetFullPath(folder));
        return 0;
    }

    private string DefaultFolder(StudyOptions options, string? taskPath)
    {
        string model = Sanitize(options.Model);
        string revision = options.Hub.Revision == "main" || Directory.Exists(options.Model) ? "" : "-" + Sanitize(options.Hub.Revision);
        string task = taskPath is null ? "" : "-" + Path.GetFileNameWithoutExtension(taskPath);
        return Path.Combine("runs", $"{_name}-{model}{revision}{task}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
    }

    private static string Sanitize(string name) => string.Concat(Path.GetFileName(Path.TrimEndingDirectorySeparator(name)).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
