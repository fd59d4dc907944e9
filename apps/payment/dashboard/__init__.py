"""The Oscar dashboard's M-Pesa section. Keep this package free of model imports: the
settings import its ``access`` module for the dashboard navigation."""
