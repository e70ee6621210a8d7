global using SqlSync.Mutations;
global using SqlSync.Mutations.Generated;
global using SqlSync.Testing.Snapshots;
global using Xunit;
