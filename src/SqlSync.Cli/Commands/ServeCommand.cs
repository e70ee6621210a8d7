using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using SqlSync.Mutations;
using SqlSync.Server;

namespace SqlSync.Cli.Commands;

/// <summary><c>sqlsync serve --data DIR --mutations APP.dll [--allow-anonymous] [--azure-blob-journals CONTAINER]</c>: a coordinator server.</summary>
internal static class ServeCommand
{
    /// <summary>Where <c>--azure-blob-journals</c> finds the connection string (it holds the account key).</summary>
    public const string AzureConnectionStringVariable = "SQLSYNC_AZURE_STORAGE_CONNECTION_STRING";

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The data directory: one sub-directory per document.", Required = true };
        var mutations = new Option<string>("--mutations") { Description = "The application assembly that holds the generated reducer.", Required = true };
        var reducer = new Option<string?>("--reducer") { Description = "The mutations class (or reducer type) when the assembly has several." };
        var urls = new Option<string>("--urls") { Description = "Where to listen.", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var path = new Option<string>("--path") { Description = "The WebSocket endpoint's path.", DefaultValueFactory = _ => "/sync" };
        var allowAnonymous = new Option<bool>("--allow-anonymous")
        {
            Description = "Serve without authorization: every client may read and write every document (required outside the Development environment).",
        };
        var azureBlobJournals = new Option<string?>("--azure-blob-journals")
        {
            Description = $"Keep the journals in this Azure blob container (the data directory then holds only caches); the connection string is read from {AzureConnectionStringVariable}.",
        };
        var command = new Command("serve", "Run a coordinator server for the documents under a data directory.") { data, mutations, reducer, urls, path, allowAnonymous, azureBlobJournals };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            IMutationReducer loaded = ReducerLoader.Load(result.GetValue(mutations)!, result.GetValue(reducer));
            string endpoint = result.GetValue(path)!;
            // The empty builder: no appsettings files, file watchers or host filtering, whose assemblies the runtime would hold
            // two file descriptors each of for the process's life (docs/benchmarks.md, "Open files"). The environment is read
            // as the default builders read it.
            WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
            {
                EnvironmentName = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT"),
            });
            builder.WebHost.UseKestrelCore();
            builder.Services.AddRoutingCore();
            builder.Configuration.AddEnvironmentVariables();
            builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging")); // Logging__LogLevel__Default=Debug
            builder.Logging.AddSimpleConsole();
            if (!result.GetValue(allowAnonymous) && !builder.Environment.IsDevelopment())
            {
                // The server would refuse too (AnonymousAccessCheck), with a message about options and a logged stack trace.
                throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                    $"sqlsync serve has no authorization, so every client could read and write every document: pass --allow-anonymous to serve anyway (the {builder.Environment.EnvironmentName} environment requires it).");
            }

            builder.WebHost.UseUrls(result.GetValue(urls)!);
            string? container = result.GetValue(azureBlobJournals);
            string? connectionString = container is null ? null : Environment.GetEnvironmentVariable(AzureConnectionStringVariable);
            if (container is not null && string.IsNullOrWhiteSpace(connectionString))
            {
                throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                    $"--azure-blob-journals needs the storage account's connection string in the environment variable {AzureConnectionStringVariable} (never on the command line, where other users of the machine can read it).");
            }

            builder.Services.AddSqlSync(options =>
            {
                options.DataDirectory = result.GetValue(data)!;
                options.UseReducer(loaded);
                options.AllowAnonymous = result.GetValue(allowAnonymous);
                if (container is not null)
                {
                    options.UseAzureBlobJournals(connectionString!, container);
                }
            });
            await using WebApplication app = builder.Build();
            app.MapSqlSync(endpoint);
            await app.StartAsync(cancellationToken);
            foreach (string url in app.Urls)
            {
                AnsiConsole.MarkupLineInterpolated($"[green]sqlsync[/] serving [bold]{url.Replace("http", "ws", StringComparison.Ordinal)}{endpoint}[/] (Ctrl+C to stop)");
            }

            await app.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Success;
        }));
        return command;
    }
}
