using System.CommandLine;
using System.Globalization;
using IclNotebook.Studies;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Progress;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Commands;

/// <summary>
/// The options and conventions every study command shares (<c>icl analyze</c>, <c>lens</c>,
/// <c>heads</c>, <c>fv</c>, <c>anchors</c>): --model, --revision, --task, --out,
/// --processing, --device, --threads, --force, --quiet; the output folder is checked before any work
/// and appears only when complete; the folder's path is printed on stdout.
/// </summary>
internal sealed class StudyCommand
{
    private readonly Option<string> _model = CliOptions.Model();
    private readonly Option<string> _revision = CliOptions.Revision();
    private readonly Option<string?> _task = new("--task") { Description = "task file (default data/tasks/sentiment.json)", HelpName = "FILE" };
    private readonly Option<string?> _out = new("--out")
    {
        Description = "output folder (default runs/<command>-<model>-<task>-<yyyyMMdd-HHmmss>)",
        HelpName = "DIR",
    };
    private readonly Option<string> _processing;
    private readonly Option<string> _device;
    private readonly Option<string> _dtype = CliOptions.DType();
    private readonly Option<int> _threads = CliOptions.PositiveInt("--threads", "torch threads (default: libtorch's choice, all cores)", null);
    private readonly Option<int> _shots = CliOptions.PositiveInt("--shots",
        "a dataset task's demonstrations per prompt (default: the task file's, else 10)", null, "K");
    private readonly Option<int> _prompts = CliOptions.PositiveInt("--prompts",
        "how many prompts to sample from a dataset task (default: the task file's, else 25)", null);
    private readonly Option<long?> _seed = new("--seed")
    {
        Description = "a dataset task's sampling seed: the same seed gives the same prompts on every machine (default: the task file's, else 0)",
        HelpName = "S",
    };
    private readonly Option<bool> _force = new("--force") { Description = "replace an existing output folder" };
    private readonly Option<bool> _quiet = new("--quiet") { Description = "no progress output" };
    private readonly string _name;
    private readonly bool _needsTask;
    private readonly bool _folderPrefix;
    private readonly bool _sampling;

    /// <param name="name">The subcommand.</param>
    /// <param name="needsTask">Whether --task defaults to data/tasks/sentiment.json (else it is optional).</param>
    /// <param name="defaultProcessing">The --processing default: "default" (TransformerLens's) or "raw".</param>
    /// <param name="folderPrefix">Whether the default folder's name starts with the command (icl analyze's does not).</param>
    /// <param name="sampling">Whether --shots, --prompts and --seed are offered (a command with its own --shots says false).</param>
    public StudyCommand(string name, bool needsTask, string defaultProcessing = "default", bool folderPrefix = true, bool sampling = true)
    {
        _sampling = sampling;
        _folderPrefix = folderPrefix;
        string processingDescription = defaultProcessing == "raw"
            ? "the raw checkpoint weights (default) or TransformerLens's weight processing"
            : "TransformerLens's weight processing (default) or the raw checkpoint weights";
        _processing = CliOptions.Choice("--processing", "processing", processingDescription,
            defaultProcessing, OptionNames.All<WeightProcessing>());
        _name = name;
        _needsTask = needsTask;
        _device = new Option<string>("--device")
        {
            Description = "cpu or cuda (needs TorchSharp's CUDA package)",
            DefaultValueFactory = _ => "cpu",
            HelpName = "cpu|cuda",
        }.Check(d => ModelSource.ParseDevice(d));
        _device.CompletionSources.Add("cpu", "cuda");
        if (!needsTask) _task.Description = "task file (optional)";
    }

    /// <summary>A command with the shared options, then <paramref name="extra"/>.</summary>
    public Command Create(string description, params Option[] extra)
    {
        var command = new Command(_name, description)
        {
            _model, _revision, _task, _out, _processing, _dtype, _device, _threads, _force, _quiet,
        };
        if (_sampling && _needsTask) command.Options.Add(_shots);
        if (_needsTask) { command.Options.Add(_prompts); command.Options.Add(_seed); }
        foreach (var option in extra) command.Options.Add(option);
        return command;
    }

    /// <summary>
    /// The shared options as the library's <see cref="StudyOptions"/>; --task defaults to data/tasks/sentiment.json where the
    /// command needs a task.
    /// </summary>
    public StudyOptions Options(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new StudyOptions
        {
            Model = parse.GetValue(_model)!,
            Hub = CliOptions.Hub(parse, _revision),
            TaskPath = parse.GetValue(_task) ?? (_needsTask ? TaskFiles.Default("sentiment") : null),
            Processing = OptionNames.Parse<WeightProcessing>(parse.GetValue(_processing)!),
            Device = ModelSource.ParseDevice(parse.GetValue(_device)!),
            DType = OptionNames.Parse<ModelDType>(parse.GetValue(_dtype)!),
            Shots = _sampling && _needsTask && parse.GetResult(_shots) is not null ? parse.GetValue(_shots) : null,
            Prompts = parse.GetResult(_prompts) is not null ? parse.GetValue(_prompts) : null,
            Seed = parse.GetValue(_seed),
        };
    }

    /// <summary>
    /// Checks the output folder (before any work: the task is checked by the library's one loader before
    /// the model loads), runs <paramref name="work"/> with progress, writes with <paramref name="write"/>
    /// and prints the folder. <paramref name="options"/> defaults to <see cref="Options"/>;
    /// <paramref name="folder"/> to runs/&lt;command&gt;-&lt;model&gt;-&lt;task&gt;-&lt;time&gt;.
    /// </summary>
    public async Task<int> RunAsync<T>(ParseResult parse, Func<StudyOptions, IProgress<WorkProgress>?, Task<T>> work,
        Action<T, string, bool, Action<string>?> write, StudyOptions? options = null, string? folder = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(write);
        options ??= Options(parse);
        folder = parse.GetValue(_out) ?? folder ?? DefaultFolder(options);
        bool force = parse.GetValue(_force), quiet = parse.GetValue(_quiet);
        OutputFolder.CheckTarget(folder, force);
        if (parse.GetValue(_threads) is > 0 and var n) set_num_threads(n);
        var result = await TerminalProgress.RunAsync(quiet, progress => work(options, progress)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        write(result, folder, force, quiet ? null : w => Console.Error.WriteLine($"icl: warning: {w}"));
        string full = Path.GetFullPath(folder);
        if (!quiet) Console.Error.WriteLine($"icl: done; open {Path.Combine(full, "report.html")} (results.json beside it)");
        Console.WriteLine(full);                                 // stdout: the folder alone, for scripts
        return 0;
    }

    /// <summary>
    /// runs/[COMMAND-]MODEL[-REVISION][-TASK]-TIME, or with <paramref name="stamp"/> that in place of the
    /// time (a shard's folder must be the same name on every node).
    /// </summary>
    public string DefaultFolder(StudyOptions options, string? stamp = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string command = _folderPrefix ? _name + "-" : "";
        string model = Sanitize(options.Model);
        string revision = options.Hub.Revision == "main" || Directory.Exists(options.Model) ? "" : "-" + Sanitize(options.Hub.Revision);
        string task = options.TaskPath is null ? "" : "-" + Path.GetFileNameWithoutExtension(options.TaskPath);
        stamp ??= DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return Path.Combine("runs", $"{command}{model}{revision}{task}-{stamp}");
    }

    private static string Sanitize(string name)
    {
        string fileName = Path.GetFileName(Path.TrimEndingDirectorySeparator(name));
        return string.Concat(fileName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
    }
}
