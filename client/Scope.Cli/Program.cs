using Scope.Cli;

return await Cli.RunAsync(args);
