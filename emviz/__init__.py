"""emviz: a Streamlit app that teaches the EM algorithm for Gaussian mixtures."""
