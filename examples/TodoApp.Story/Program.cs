using TodoApp.Story;

// dotnet run --project examples/TodoApp.Story: the TodoApp ships version 2 while version 1 apps are offline.
// Exit code 0 when every replica converged and no mutation was lost.
StoryResult result = await UpgradeStory.RunAsync(Console.Out);
return result.Converged ? 0 : 1;
