global using SqlSync.Mutations.Generated;
global using Xunit;
