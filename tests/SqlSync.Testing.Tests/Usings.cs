global using SqlSync.Mutations;
global using SqlSync.Testing.Snapshots;
global using Xunit;
