/** The dashboard's entry: renders the app into the page served at /ui. */
import { render } from 'preact';
import { App } from './components/app.js';
import './styles.css';

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
