mod sign_cli;
mod vectors;
