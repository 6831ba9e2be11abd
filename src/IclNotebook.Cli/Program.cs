using IclNotebook.Runtime;
Console.WriteLine(TorchRuntime.Status);
